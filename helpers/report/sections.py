"""The report's sections: each computes (through the cache), draws and writes its answer.

Every sentence comes from the language's texts (:mod:`helpers.report.i18n`) with the numbers
of this run filled in, so the prose stays true when parameters change. Narrative and drawing
live here; the expensive computations in :mod:`helpers.report.compute` (cached).
"""
from __future__ import annotations

import numpy as np
import torch

from helpers.evaluation.confusion import confusion_report
from helpers.explain import activation_maps
from helpers.models.layers import conv_layers
from helpers.plotting.confusion import confusion_figure
from helpers.report import analysis as A
from helpers.report import compute as C
from helpers.report import plots as P
from helpers.report.analysis import num, pct
from helpers.report.context import ReportRun
from helpers.report.selection import select_images


def md_table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table (pipes in cells escaped)."""
    def cell(value) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


# -- title and set-up ----------------------------------------------------------------------------
def title(run: ReportRun) -> None:
    p, t = run.params, run.t
    run.heading("report_title", latex=False)
    data = t("data_default") if p.data_dir == "default" else f"`{run.data_dir}`"
    model = t("model_default") if p.model_arch == "default" else t("model_classic")
    run.md("report_intro", data=data, model=model, split=t(f"split_{p.split}"))


def setup(run: ReportRun) -> None:
    """Data counts, skipped files, model, accuracy, conv layers, chosen images."""
    p, t = run.params, run.t
    run.heading("setup_title")
    preds = C.predictions(run.cache, run.model, run.model_fp, run.split, p.batch_size, p.progress)
    run.state["predictions"] = preds
    counts = {s: split.class_counts() for s, split in run.splits.items()}
    rows = [[run.class_name(k)] + [counts[s].get(k, 0) for s in counts] for k in range(len(run.class_names))]
    rows.append([f"**{t('col_total')}**"] + [f"**{sum(counts[s].values())}**" for s in counts])
    run.md("setup_data", folder=f"`{run.data_dir}`", classes=len(run.class_names))
    run.markdown(md_table([t("col_class")] + [t(f"split_{s}") for s in counts], rows))
    skipped = dict(run.split.skipped)
    unparsed = sum(len(s.unparsed) for s in run.splits.values())
    if skipped or unparsed:
        listed = ", ".join(f"`{path.name}`" for path in list(skipped)[:5])
        run.md("setup_skipped", skipped=len(skipped), unparsed=unparsed, listed=listed or "-")
    else:
        run.md("setup_skipped_none")
    labels, predicted = preds["labels"], preds["predicted"]
    accuracy = float((labels == predicted).float().mean())
    loaded = run.loaded
    checkpoint = f"`{loaded.checkpoint}`" if loaded.checkpoint else t("checkpoint_default" if p.model_arch == "default"
                                                                        else "checkpoint_none")
    run.md("setup_model", arch=t("model_default") if p.model_arch == "default" else t("model_classic"),
           params=f"{loaded.num_parameters:,}", size=loaded.input_size, resize=loaded.resize_mode,
           checkpoint=checkpoint, device=str(loaded.device), split=t(f"split_{p.split}"),
           accuracy=pct(accuracy), n=len(labels), correct=int((labels == predicted).sum()))
    convs = conv_layers(run.model)
    run.md("setup_layers", count=len(convs))
    run.markdown(md_table([t("col_layer"), t("col_alias"), t("col_filters"), t("col_kernel"), t("col_groups")],
                          [[f"`{c.name}`", f"`{c.alias}`", c.out_channels, "x".join(map(str, c.kernel_size)),
                            c.groups] for c in convs]))
    # The images every section explains.
    positions = {int(i): k for k, i in enumerate(preds["indices"].tolist())}
    if p.image_ids:
        chosen = [run.split.index_of(i) for i in p.image_ids]
        missing = [run.split.records[i].image_id for i in chosen if i not in positions]
        if missing:  # asked for by id but unreadable
            run.md("setup_unreadable_ids", ids=", ".join(missing))
        chosen = [i for i in chosen if i in positions]
        run.md("setup_images_given", n=len(chosen))
    else:
        picked = select_images(labels.numpy(), predicted.numpy(), p.n_images, p.seed)
        chosen = [int(preds["indices"][k]) for k in picked]
        run.md("setup_images_auto", n=len(chosen), seed=p.seed)
    images, image_labels, kept = run.split.load_many(chosen)
    pos = [positions[i] for i in kept]
    image_pred = predicted[pos]
    probs = preds["probabilities"][pos]
    run.state.update(indices=kept, images=images, labels=image_labels, predicted=image_pred, probabilities=probs,
                     ids=[run.split.records[i].image_id for i in kept])
    rows = []
    for k, index in enumerate(kept):
        ok = bool(image_pred[k] == image_labels[k])
        rows.append([f"`{run.split.records[index].image_id}`", run.class_name(image_labels[k]),
                     run.class_name(image_pred[k]), num(float(probs[k, image_pred[k]])), t("yes" if ok else "no")])
    run.markdown(md_table([t("col_image"), t("col_true"), t("col_predicted"), t("col_probability"),
                           t("col_correct")], rows))


def _row_titles(run: ReportRun) -> list[str]:
    s = run.state
    return [run.t("row_label", id=s["ids"][k], true=run.class_name(s["labels"][k]),
                  pred=run.class_name(s["predicted"][k])) for k in range(len(s["ids"]))]


def _per_class_rows(run: ReportRun, values: dict[str, np.ndarray]) -> tuple[list[int], dict[str, dict[int, float]]]:
    labels = run.state["labels"].numpy()
    means = {name: A.per_class_mean(v, labels) for name, v in values.items()}
    classes = sorted(set(int(l) for l in labels))
    return classes, means


# -- Q1 saliency ---------------------------------------------------------------------------------
def q1_saliency(run: ReportRun) -> None:
    p, t, s = run.params, run.t, run.state
    run.heading("q1_title")
    run.md("q1_method_course" if p.saliency_variant == "course" else "q1_method_max_abs")
    targets = s["labels"] if p.saliency_variant == "course" else s["predicted"]
    maps = C.saliency_maps(run.cache, run.model, run.model_fp, s["images"], targets, p.saliency_variant, p.batch_size)
    s["saliency"] = maps
    run.figure(P.map_grid(s["images"], [(t("fig_saliency_map"), maps, False), (t("fig_overlay"), maps, True)],
                          _row_titles(run), t("fig_image")), "q1_saliency")
    background = A.background_mask(s["images"])
    s["background"] = background
    share, area = A.food_share(maps, background), A.food_area(background)
    correct = (s["labels"] == s["predicted"]).numpy()
    classes, means = _per_class_rows(run, {"share": share, "area": area})
    rows = []
    for c in classes:
        sh, ar = means["share"].get(c, np.nan), means["area"].get(c, np.nan)
        rows.append([run.class_name(c), int((s["labels"].numpy() == c).sum()), pct(sh), pct(ar),
                     num(sh / ar if ar > 0 else np.nan)])
    run.md("q1_table_intro")
    run.markdown(md_table([t("col_class"), t("col_images"), t("col_saliency_food"), t("col_food_area"),
                           t("col_ratio")], rows))
    names = [run.class_name(c) for c in classes]
    run.figure(P.grouped_bars(names, {t("fig_saliency_food"): [means["share"].get(c, np.nan) for c in classes],
                                      t("fig_food_area"): [means["area"].get(c, np.nan) for c in classes]},
                              t("fig_q1_share_title"), t("fig_share_axis")), "q1_food_share")
    overall_share, overall_area = float(np.nanmean(share)), float(np.nanmean(area))
    ratio = overall_share / overall_area if overall_area > 0 else float("nan")
    ranked = sorted((c for c in classes if c in means["share"]), key=lambda c: -means["share"][c])
    run.md("q1_answer", n=len(share), share=pct(overall_share), area=pct(overall_area), ratio=num(ratio),
           direction=t("q1_more" if ratio > 1 else "q1_less"),
           best=run.class_name(ranked[0]), best_share=pct(means["share"][ranked[0]]),
           worst=run.class_name(ranked[-1]), worst_share=pct(means["share"][ranked[-1]]))
    if correct.any() and (~correct).any():
        run.md("q1_answer_wrong", right=pct(float(np.nanmean(share[correct]))), n_right=int(correct.sum()),
               wrong=pct(float(np.nanmean(share[~correct]))), n_wrong=int((~correct).sum()))
    else:
        run.md("q1_answer_no_wrong" if correct.all() else "q1_answer_no_right")
    run.md("q1_caveat")


# -- Q2 filter -----------------------------------------------------------------------------------
def q2_filter(run: ReportRun) -> None:
    p, t, s = run.params, run.t, run.state
    preds = s["predictions"]
    run.heading("q2_title")
    indices = preds["indices"].tolist()
    means = C.layer_channel_means(run.cache, run.model, run.model_fp, run.split, indices, run.layer_name,
                                  p.batch_size)
    order = C.selective_filters(means, preds["labels"], len(run.class_names))
    chosen = p.filter_index if p.filter_index is not None else order[0]
    grid = [chosen] + [f for f in order if f != chosen][: max(0, min(p.n_grid_filters, run.layer_filters) - 1)]
    why = t("layer_default_why_" + p.model_arch) if run.layer_default else t("layer_given")
    pick = t("filter_default_why") if p.filter_index is None else t("filter_given")
    run.md("q2_method", layer=run.layer_name, filters=run.layer_filters, why=why, filter=chosen, pick=pick,
           steps=p.ascent_steps, size=run.ascent_size)
    plain = C.ascent_images(run.cache, run.model, run.model_fp, run.layer_name, grid, p.ascent_steps,
                            run.ascent_size, False, p.seed)
    reg = C.ascent_images(run.cache, run.model, run.model_fp, run.layer_name, grid, p.ascent_steps,
                          run.ascent_size, True, p.seed)
    run.figure(P.picture_grid(torch.stack([plain["images"][0], reg["images"][0]]),
                              [t("fig_plain", value=num(float(plain["final"][0]))),
                               t("fig_regularized", value=num(float(reg["final"][0])))], ncols=2,
                              suptitle=t("fig_q2_filter_title", layer=run.layer_name, filter=chosen)), "q2_filter_ascent")
    titles = [t("fig_grid_plain", filter=f) for f in grid] + [t("fig_grid_reg", filter=f) for f in grid]
    run.figure(P.picture_grid(torch.cat([plain["images"], reg["images"]]), titles, ncols=len(grid),
                              suptitle=t("fig_q2_grid_title", layer=run.layer_name)), "q2_filter_grid")
    acts = activation_maps(run.model, run.layer_name, s["images"], chosen, batch_size=p.batch_size)
    run.figure(P.activation_figure(s["images"], acts.maps.numpy(), _row_titles(run), t("fig_activation")),
               "q2_activation_maps")
    per_class = A.class_means(means[:, chosen], preds["labels"], len(run.class_names))
    classes = list(per_class)
    overall = float(means[:, chosen].mean())
    run.figure(P.bar_chart([run.class_name(c) for c in classes], [per_class[c] for c in classes],
                           t("fig_q2_class_title", filter=chosen), t("fig_mean_activation"),
                           highlight=[k == 0 for k in range(len(classes))], reference=overall,
                           reference_label=t("fig_all_images")), "q2_class_activation")
    top, bottom = classes[0], classes[-1]
    strongest = int(torch.argmax(acts.mean))
    real_max = float(acts.maps.amax(dim=(1, 2)).max())
    run.md("q2_answer", filter=chosen, top=run.class_name(top), top_value=num(per_class[top]),
           bottom=run.class_name(bottom), bottom_value=num(per_class[bottom]), overall=num(overall),
           n=len(indices), strongest=s["ids"][strongest], strongest_class=run.class_name(s["labels"][strongest]),
           strongest_value=num(float(acts.mean[strongest])),
           plain_start=num(float(plain["initial"][0])), plain_final=num(float(plain["final"][0])),
           reg_final=num(float(reg["final"][0])), real_mean_max=num(float(acts.mean.max())), grid=len(grid),
           ascent_comparison=t("q2_ascent_more" if max(float(plain["final"][0]), float(reg["final"][0]))
                               > float(acts.mean.max()) else "q2_ascent_less"))
    s["q2"] = {"filter": chosen, "per_class": per_class, "real_max": real_max}


# -- Q3 LIME and the confusion matrix ------------------------------------------------------------
def q3_lime(run: ReportRun) -> None:
    p, t, s = run.params, run.t, run.state
    preds = s["predictions"]
    run.heading("q3_title")
    run.md("q3_method", samples=p.lime_samples, segments=p.lime_segments, seed=p.seed)
    report = confusion_report(preds["labels"].numpy(), preds["predicted"].numpy(), run.class_names)
    run.figure(confusion_figure(report, False, t("fig_confusion_counts", split=t(f"split_{p.split}")),
                                t("fig_predicted_label"), t("fig_true_label")), "q3_confusion_counts")
    run.figure(confusion_figure(report, True, t("fig_confusion_normalized", split=t(f"split_{p.split}")),
                                t("fig_predicted_label"), t("fig_true_label")), "q3_confusion_normalized")
    stored = C.lime_results(run.cache, run.model, run.model_fp, s["images"], p.lime_samples, p.lime_segments,
                            p.seed, p.batch_size)
    results = [C.to_lime_result(r, img) for r, img in zip(stored, s["images"])]
    rows, shares, scores = [], [], []
    for k, result in enumerate(results):
        pred, true = int(s["predicted"][k]), int(s["labels"][k])
        if pred != true:
            other = true
            other_title = t("fig_lime_true", name=run.class_name(true), p=num(result.probabilities[true]))
        else:
            ranked = np.argsort(-result.probabilities)
            other = int(ranked[1]) if len(ranked) > 1 else pred
            other_title = t("fig_lime_second", name=run.class_name(other), p=num(result.probabilities[other]))
        rows.append((_row_titles(run)[k], [(pred, t("fig_lime_pred", name=run.class_name(pred),
                                                    p=num(result.probabilities[pred]),
                                                    r2=num(result.score[pred]))), (other, other_title)]))
        shares.append(A.lime_positive_food_share(result.weights[pred], result.segments, s["background"][k]))
        scores.append(float(result.score[pred]))
    run.figure(P.lime_grid(s["images"], results, rows, t("fig_superpixels")), "q3_lime")
    shares, scores = np.array(shares), np.array(scores)
    labels = s["labels"].numpy()
    share_by_class, score_by_class = A.per_class_mean(shares, labels), A.per_class_mean(scores, labels)
    area_by_class = A.per_class_mean(A.food_area(s["background"]), labels)
    table = []
    for name, accuracy, support in report.ranked_classes():
        c = run.class_names.index(name)
        table.append([name, support, pct(accuracy), pct(share_by_class.get(c, np.nan)),
                      pct(area_by_class.get(c, np.nan)), num(score_by_class.get(c, np.nan))])
    run.md("q3_table_intro", split=t(f"split_{p.split}"), accuracy=pct(report.accuracy))
    run.markdown(md_table([t("col_class"), t("col_support"), t("col_accuracy"), t("col_lime_food"),
                           t("col_food_area"), t("col_r2")], table))
    ranked = [(run.class_names.index(n), a) for n, a, sup in report.ranked_classes() if sup > 0]
    best, worst = ranked[0], ranked[-1]
    confused = report.counts.copy()
    np.fill_diagonal(confused, 0)
    a, b = np.unravel_index(int(np.argmax(confused)), confused.shape)
    run.md("q3_answer", best=run.class_name(best[0]), best_acc=pct(best[1]),
           best_lime=pct(share_by_class.get(best[0], np.nan)), worst=run.class_name(worst[0]),
           worst_acc=pct(worst[1]), worst_lime=pct(share_by_class.get(worst[0], np.nan)),
           confused_true=run.class_name(a), confused_pred=run.class_name(b), confused_n=int(confused[a, b]),
           confused_rate=pct(float(report.normalized[a, b])), r2=num(float(np.nanmean(scores))),
           lime_all=pct(float(np.nanmean(shares))), area_all=pct(float(np.nanmean(A.food_area(s["background"])))))
    wrong = np.flatnonzero(labels != s["predicted"].numpy())
    if wrong.size:
        k = int(wrong[0])
        run.md("q3_answer_wrong", id=s["ids"][k], true=run.class_name(labels[k]),
               pred=run.class_name(s["predicted"][k]), share=pct(shares[k]),
               p=num(float(results[k].probabilities[int(s["predicted"][k])])))
    run.md("q3_caveat")


# -- Q4 SmoothGrad and guided backprop -----------------------------------------------------------
def q4_smoothgrad(run: ReportRun) -> None:
    p, t, s = run.params, run.t, run.state
    run.heading("q4_title")
    run.md("q4_rules")
    run.md("q4_smoothgrad", sigma=num(p.smoothgrad_sigma), samples=p.smoothgrad_samples, seed=p.seed)
    images, targets = s["images"], s["predicted"]
    vanilla = C.saliency_maps(run.cache, run.model, run.model_fp, images, targets, "max_abs", p.batch_size)
    smooth = C.smoothgrad_maps(run.cache, run.model, run.model_fp, images, targets, "saliency", p.smoothgrad_sigma,
                               p.smoothgrad_samples, p.seed, p.batch_size, p.progress)
    guided = C.guided_maps(run.cache, run.model, run.model_fp, images, targets, p.batch_size)
    smooth_guided = C.smoothgrad_maps(run.cache, run.model, run.model_fp, images, targets, "guided",
                                      p.smoothgrad_sigma, p.smoothgrad_samples, p.seed, p.batch_size, p.progress)
    methods = [(t("method_vanilla"), vanilla), (t("method_smoothgrad"), smooth), (t("method_guided"), guided),
               (t("method_smooth_guided"), smooth_guided)]
    run.figure(P.map_grid(images, [(name, maps, False) for name, maps in methods], _row_titles(run),
                          t("fig_image")), "q4_methods")
    background = s["background"]
    stats = {}
    rows = []
    for name, maps in methods:
        conc = float(np.nanmean(A.concentration(maps)))
        food = float(np.nanmean(A.food_share(maps, background)))
        stats[name] = (conc, food)
        rows.append([name, pct(conc), pct(food)])
    run.md("q4_table_intro", area=pct(float(np.nanmean(A.food_area(background)))))
    run.markdown(md_table([t("col_method"), t("col_top10"), t("col_saliency_food")], rows))
    corr_smooth = float(np.nanmean(A.rank_correlation(vanilla, smooth)))
    corr_guided = float(np.nanmean(A.rank_correlation(guided, smooth_guided)))
    corr_vg = float(np.nanmean(A.rank_correlation(vanilla, guided)))
    names = [m[0] for m in methods]
    sharpest = max(names, key=lambda n: stats[n][0])
    most_food = max(names, key=lambda n: stats[n][1])
    run.md("q4_answer", vanilla_top=pct(stats[names[0]][0]), smooth_top=pct(stats[names[1]][0]),
           guided_top=pct(stats[names[2]][0]), sg_top=pct(stats[names[3]][0]),
           vanilla_food=pct(stats[names[0]][1]), smooth_food=pct(stats[names[1]][1]),
           guided_food=pct(stats[names[2]][1]), sg_food=pct(stats[names[3]][1]),
           corr_smooth=num(corr_smooth), corr_guided=num(corr_guided), corr_vg=num(corr_vg),
           sharpest=sharpest, most_food=most_food, samples=p.smoothgrad_samples, sigma=num(p.smoothgrad_sigma))
    run.md("q4_caveat")
    s["q4"] = dict(zip(("vanilla", "smoothgrad", "guided", "smooth_guided"), (m[1] for m in methods)))


def closing(run: ReportRun) -> None:
    run.md("closing", figures=run.params.figures_dir, n=len(run.figures))


# -- 5. How much should we trust these maps? -------------------------------------------------------
TRUST_METHODS = ("saliency", "smoothgrad", "guided", "smooth_guided", "lime", "gradcam", "ig", "random",
                 "centre prior")
_TRUST_KEYS = {"saliency": "method_vanilla", "smoothgrad": "method_smoothgrad", "guided": "method_guided",
               "smooth_guided": "method_smooth_guided", "lime": "method_lime", "gradcam": "method_gradcam",
               "ig": "method_ig", "random": "baseline_random", "centre prior": "baseline_centre"}


def _interval(row: dict, name: str, digits: int = 2) -> str:
    mean, low, high = (float(row[f"{name}_{k}"]) for k in ("mean", "low", "high"))
    if not np.isfinite(mean):
        return "n/a"
    if not (np.isfinite(low) and np.isfinite(high)):
        return num(mean, digits)
    return f"{num(mean, digits)} [{num(low, digits)}, {num(high, digits)}]"


def q5_trust(run: ReportRun) -> None:
    p, t, s = run.params, run.t, run.state
    preds = s["predictions"]
    run.heading("q5_title")
    picked = select_images(preds["labels"].numpy(), preds["predicted"].numpy(), p.trust_images, p.seed)
    chosen = [int(preds["indices"][k]) for k in picked]
    images, _, kept = run.split.load_many(chosen)
    positions = {int(i): k for k, i in enumerate(preds["indices"].tolist())}
    targets = preds["predicted"][[positions[i] for i in kept]]
    gradcam_layer = conv_layers(run.model)[-1].name
    run.md("q5_method", n=len(kept), steps=p.trust_steps, substrate=p.trust_substrate,
           random_steps=p.trust_random_steps, sg=p.trust_smoothgrad_samples, lime=p.trust_lime_samples,
           ig=p.trust_ig_steps, layer=gradcam_layer)
    result = C.trust_evaluation(run.cache, run.model, run.model_fp, images, targets, gradcam_layer, {
        "steps": p.trust_steps, "substrate": p.trust_substrate, "random_steps": p.trust_random_steps,
        "smoothgrad_samples": p.trust_smoothgrad_samples, "smoothgrad_sigma": float(p.smoothgrad_sigma),
        "lime_samples": p.trust_lime_samples, "lime_segments": p.lime_segments, "ig_steps": p.trust_ig_steps,
        "seed": p.seed, "batch_size": p.batch_size})
    rows = {r["method"]: {k: (float(v) if isinstance(v, torch.Tensor) else v) for k, v in r.items()}
            for r in result["rows"]}
    name = {m: t(_TRUST_KEYS[m]) for m in rows}
    table = [[name[m], _interval(r, "deletion"), _interval(r, "insertion"), _interval(r, "spearman"),
              _interval(r, "ssim"), num(r["seconds_per_image"], 2)] for m, r in rows.items()]
    run.md("q5_table_intro")
    run.markdown(md_table([t("col_method"), t("col_deletion"), t("col_insertion"), t("col_spearman"),
                           t("col_ssim"), t("col_seconds")], table))
    curves = {name[m]: (c["n_randomised"].tolist(), c["spearman"].mean(1).tolist())
              for m, c in result["curves"].items() if rows[m]["kind"] == "method"}
    run.figure(P.line_chart(curves, t("fig_q5_title"), t("fig_q5_x"), t("fig_q5_y")), "q5_randomisation")
    methods = [m for m, r in rows.items() if r["kind"] == "method"]
    rand = rows.get("random")
    best_del = min(methods, key=lambda m: rows[m]["deletion_mean"])
    best_ins = max(methods, key=lambda m: rows[m]["insertion_mean"])
    beat = [name[m] for m in methods if rand is not None and rows[m]["deletion_mean"] < rand["deletion_mean"]
            and rows[m]["insertion_mean"] > rand["insertion_mean"]]
    finite = [m for m in methods if np.isfinite(rows[m]["spearman_mean"])]
    most_stable = max(finite, key=lambda m: rows[m]["spearman_mean"]) if finite else methods[0]
    least = min(finite, key=lambda m: rows[m]["spearman_mean"]) if finite else methods[0]
    run.md("q5_answer_faithfulness", best_del=name[best_del], best_del_value=num(rows[best_del]["deletion_mean"]),
           best_ins=name[best_ins], best_ins_value=num(rows[best_ins]["insertion_mean"]),
           random_del=num(rand["deletion_mean"]) if rand else "n/a",
           random_ins=num(rand["insertion_mean"]) if rand else "n/a",
           beat=t("list_sep").join(beat) if beat else t("none"), n_beat=len(beat), n_methods=len(methods))
    guided_rho = rows["guided"]["spearman_mean"]
    sal_rho = rows["saliency"]["spearman_mean"]
    run.md("q5_answer_randomisation", guided=num(guided_rho), smooth_guided=num(rows["smooth_guided"]["spearman_mean"]),
           saliency=num(sal_rho), most=name[most_stable], most_value=num(rows[most_stable]["spearman_mean"]),
           least=name[least], least_value=num(rows[least]["spearman_mean"]))
    run.md("q5_guided_fails" if guided_rho > sal_rho else "q5_guided_passes")
    run.md("q5_answer_lime", jaccard=num(float(result["lime_jaccard"].mean())),
           score=num(float(result["lime_score"].mean())), samples=p.trust_lime_samples)
    fastest = min(methods, key=lambda m: rows[m]["seconds_per_image"])
    slowest = max(methods, key=lambda m: rows[m]["seconds_per_image"])
    run.md("q5_answer_time", fastest=name[fastest], fastest_s=num(rows[fastest]["seconds_per_image"]),
           slowest=name[slowest], slowest_s=num(rows[slowest]["seconds_per_image"]), n=len(kept))
