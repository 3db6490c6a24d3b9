"""English texts of the report. Keys must match every other language module (a test checks)."""

TEXTS = {
    # -- title -------------------------------------------------------------------------------------
    "pdf_title": "Explaining a CNN food classifier",
    "report_title": "# Explaining a CNN food classifier",
    "report_intro": (
        "This report explains how {{model}} classifies food photos ({{data}}, {{split}} split). "
        "It answers four questions: (1) which pixels the prediction is sensitive to (saliency maps), "
        "(2) what one convolution filter responds to, (3) which image regions LIME finds decisive, next "
        "to the confusion matrix, and (4) how SmoothGrad and guided backpropagation change the maps. "
        "Every number in the answers was computed in this run, so it stays true when the parameters change."),
    "data_default": "the embedded demo photos (Indian Food Composition Tables 2017, 5 classes)",
    "model_default": "EfficientNet-Lite0 (ImageNet backbone) with a trained food head",
    "model_classic": "the classic Food-11 CNN (5 conv blocks + 3 fully connected layers)",
    "split_training": "training",
    "split_validation": "validation",
    "split_evaluation": "evaluation",
    # -- set-up ------------------------------------------------------------------------------------
    "setup_title": "## 0. What is explained",
    "setup_data": "**Data.** Folder {{folder}}, {{classes}} classes. Images per class and split:",
    "col_total": "Total",
    "col_class": "Class",
    "setup_skipped": ("**Skipped files.** {{skipped}} unreadable image(s) in the explained split were left out "
                      "(e.g. {{listed}}); {{unparsed}} file(s) not named `<label>_<n>.jpg` were ignored."),
    "setup_skipped_none": "**Skipped files.** None: every image file could be read and follows `<label>_<n>.jpg`.",
    "checkpoint_default": "the committed default head (`model/default_head.pt`)",
    "checkpoint_none": "none (random weights: only for testing the pipeline)",
    "setup_model": (
        "**Model.** {{arch}}, {{params}} parameters, input {{size}}x{{size}} RGB in [0, 1] (resize: {{resize}}), "
        "checkpoint: {{checkpoint}}, device: {{device}}. Accuracy on the {{split}} split: **{{accuracy}}** "
        "({{correct}} of {{n}} images)."),
    "setup_layers": "**Convolution layers** ({{count}}): the names to use for the `layer` parameter.",
    "col_layer": "Layer",
    "col_alias": "Alias",
    "col_filters": "Filters",
    "col_kernel": "Kernel",
    "col_groups": "Groups",
    "setup_unreadable_ids": "The image(s) {{ids}} asked for could not be read and are left out.",
    "setup_images_given": "**Images explained.** The {{n}} image(s) given in `image_ids`:",
    "setup_images_auto": (
        "**Images explained.** {{n}} images chosen automatically (stratified by class, seed {{seed}}): every "
        "class is covered and both correct and wrong predictions are included whenever the split has them."),
    "col_image": "Image",
    "col_true": "True class",
    "col_predicted": "Predicted",
    "col_probability": "Probability",
    "col_correct": "Correct",
    "yes": "yes",
    "no": "no",
    "row_label": "{{id}}\ntrue: {{true}}\npred: {{pred}}",
    # -- Q1 ----------------------------------------------------------------------------------------
    "q1_title": "## 1. Saliency maps: which pixels matter?",
    "q1_method_max_abs": (
        "A saliency map (Simonyan et al., 2014) is the gradient of the predicted class score with respect "
        "to the input pixels: a pixel is bright when changing it a little changes the score a lot. Shown "
        "here: $M(x) = \\max_{c} \\left| \\partial y_{\\hat k} / \\partial x_{c} \\right|$, the largest "
        "absolute gradient over the colour channels, for the predicted class $\\hat k$ "
        "(`saliency_variant = \"max_abs\"`). Maps are scaled per image for display."),
    "q1_method_course": (
        "A saliency map shows how sensitive the model's loss is to each pixel. Shown here is the course "
        "variant (`saliency_variant = \"course\"`): $M(x) = \\max_{c} \\left| \\partial "
        "\\mathrm{CE}(f(x), y) / \\partial x_{c} \\right|$, the gradient of the cross-entropy loss for the "
        "true label $y$, largest absolute value over the colour channels. Maps are scaled per image for display."),
    "fig_image": "image",
    "fig_saliency_map": "saliency map",
    "fig_overlay": "overlay",
    "q1_table_intro": (
        "To read the maps with numbers, pixels are split into *food* and *background*: near-white, "
        "low-saturation pixels (plate, paper, studio background) count as background. The table gives, per "
        "class, the share of the total saliency that falls on food pixels and the share of the image that "
        "is food; a ratio above 1 means the saliency is more concentrated on the food than an evenly "
        "spread map would be."),
    "col_images": "Images",
    "col_saliency_food": "Saliency on food",
    "col_food_area": "Food area",
    "col_ratio": "Ratio",
    "fig_saliency_food": "saliency on food",
    "fig_food_area": "food area",
    "fig_q1_share_title": "Share of saliency on food vs. share of food pixels",
    "fig_share_axis": "share",
    "q1_answer": (
        "**Answer.** Over the {{n}} images, {{share}} of the saliency lies on food pixels, while food covers "
        "{{area}} of the image area (ratio {{ratio}}): the model's gradients are {{direction}}. By class, the "
        "saliency stays most on the food for *{{best}}* ({{best_share}}) and least for *{{worst}}* "
        "({{worst_share}}). In the overlays, check whether the bright pixels follow the food's edges and "
        "textures or the rim of the plate: a saliency map marks where the score is sensitive, not the whole "
        "object, so it looks like scattered speckles rather than a filled shape."),
    "q1_more": "concentrated on the food rather than on the plate or background",
    "q1_less": "not concentrated on the food: much of the sensitivity lies on the plate or background",
    "q1_answer_wrong": (
        "Correctly classified images put {{right}} of their saliency on food ({{n_right}} image(s)); "
        "misclassified ones {{wrong}} ({{n_wrong}} image(s)). A lower share for the wrong predictions would "
        "suggest that background cues contribute to the errors; with this few images it is a hint, not proof."),
    "q1_answer_no_wrong": "All explained images are classified correctly, so correct and wrong predictions cannot be compared here.",
    "q1_answer_no_right": "None of the explained images is classified correctly, so correct and wrong predictions cannot be compared here.",
    "q1_caveat": (
        "*Caveat:* the food/background split is a colour proxy: white foods count as background and dark "
        "backgrounds count as food."),
    # -- Q2 ----------------------------------------------------------------------------------------
    "q2_title": "## 2. What does a filter respond to?",
    "layer_default_why_default": (
        "the default for this model: the last block of stage 3 (stride 8, 28x28 maps at 224 px input) sits "
        "at mid depth, where filters respond to textures and colour patterns rather than edges (earlier) or "
        "whole objects (later), and gradient ascent stays cheap because the forward pass stops there"),
    "layer_default_why_classic": (
        "the default for this model: the third of the five conv blocks, mid depth, where filters respond to "
        "textures and parts rather than edges (earlier) or whole dishes (later)"),
    "layer_given": "chosen with the `layer` parameter",
    "filter_default_why": (
        "chosen automatically as the layer's most class-selective filter (largest spread between the "
        "per-class mean activations, relative to its spread over images)"),
    "filter_given": "chosen with the `filter_index` parameter",
    "q2_method": (
        "Layer `{{layer}}` ({{filters}} filters), {{why}}. Filter **{{filter}}**, {{pick}}.\n\n"
        "*Gradient ascent* (activation maximisation) starts from a grey noise image of {{size}}x{{size}} "
        "pixels and changes its pixels for {{steps}} steps (Adam) to maximise the filter's mean activation. "
        "The *plain* version updates the pixels directly (as in the course code) and tends to produce "
        "high-frequency patterns; the *regularised* version optimises a low-resolution image through a "
        "sigmoid, with random jitter and scaling, a total-variation penalty and occasional blurring, which "
        "gives smoother, more readable pictures. The *activation maps* show where in real photos the filter "
        "fires, on one colour scale shared by all images."),
    "fig_plain": "plain (act. {{value}})",
    "fig_regularized": "regularised (act. {{value}})",
    "fig_q2_filter_title": "Gradient ascent for filter {{filter}} of {{layer}}",
    "fig_grid_plain": "#{{filter}} plain",
    "fig_grid_reg": "#{{filter}} regularised",
    "fig_q2_grid_title": "Most class-selective filters of {{layer}}: plain (top) and regularised (bottom)",
    "fig_activation": "activation",
    "fig_q2_class_title": "Mean activation of filter {{filter}} per class",
    "fig_mean_activation": "mean activation",
    "fig_all_images": "all images",
    "q2_answer": (
        "**Answer.** Gradient ascent raised filter {{filter}}'s mean activation from {{plain_start}} to "
        "{{plain_final}} (plain) and to {{reg_final}} (regularised); the highest mean activation among the "
        "explained photos is {{real_mean_max}}{{ascent_comparison}} Over the {{n}} images of the split, the "
        "filter responds most to *{{top}}* (mean {{top_value}}) and least to *{{bottom}}* (mean "
        "{{bottom_value}}; all images: {{overall}}). Among the explained photos, `{{strongest}}` "
        "({{strongest_class}}) excites it most (mean {{strongest_value}}); its activation map shows which "
        "regions carry the pattern. The grid compares the layer's {{grid}} most class-selective filters: each "
        "picture shows the pattern one filter prefers."),
    "q2_ascent_more": (
        ", so the synthetic pictures excite the filter more than any of these food photos: they show its "
        "preferred pattern in pure form, repeated over the whole image."),
    "q2_ascent_less": (
        ": the ascent has not yet overtaken the real photos, so more steps (`ascent_steps`) are needed "
        "before the pictures can be read as the filter's preferred pattern."),
    # -- Q3 ----------------------------------------------------------------------------------------
    "q3_title": "## 3. LIME and the confusion matrix",
    "q3_method": (
        "LIME (Ribeiro et al., 2016) cuts the image into superpixels (SLIC, about {{segments}} asked for), "
        "switches random subsets of them off (each takes its mean colour), records the model's probabilities "
        "for {{samples}} such perturbed images, and fits a weighted linear model on the on/off pattern. Its "
        "weights say which superpixels support (green outline) or oppose (red outline) a class; the figure "
        "shows the top 5 of each. R2 is the fit of that linear surrogate (seed {{seed}})."),
    "fig_confusion_counts": "Confusion matrix ({{split}} split, counts)",
    "fig_confusion_normalized": "Confusion matrix ({{split}} split, share of each true class)",
    "fig_predicted_label": "predicted class",
    "fig_true_label": "true class",
    "fig_lime_pred": "predicted: {{name}}\np={{p}}, R2={{r2}}",
    "fig_lime_true": "true class: {{name}}\np={{p}}",
    "fig_lime_second": "runner-up: {{name}}\np={{p}}",
    "fig_superpixels": "superpixels",
    "q3_table_intro": (
        "Per-class accuracy on the {{split}} split (overall {{accuracy}}), best first, next to what LIME "
        "selects on the explained images of that class: the share of the positive LIME weight (for the "
        "predicted class) that lands on food pixels, the food share of those images, and the surrogate's R2."),
    "col_support": "Images",
    "col_accuracy": "Accuracy",
    "col_lime_food": "LIME weight on food",
    "col_r2": "R2",
    "q3_answer": (
        "**Answer.** The best-recognised class is *{{best}}* (accuracy {{best_acc}}): LIME puts {{best_lime}} "
        "of its positive weight on food pixels there. The worst is *{{worst}}* ({{worst_acc}}), with "
        "{{worst_lime}} of the positive weight on food. Across the explained images the positive weight "
        "lies {{lime_all}} on food, against a food area of {{area_all}}. The most frequent confusion is "
        "*{{confused_true}}* predicted as *{{confused_pred}}* ({{confused_n}} images, {{confused_rate}} of "
        "that class). Where LIME's supporting superpixels sit on the food itself, the model uses the food's "
        "appearance; where they sit on the plate or background, the decision rests on context, which "
        "makes errors more likely. The surrogate fits with R2 {{r2}} on average: the lower it is, the less the "
        "linear weights should be taken literally."),
    "q3_answer_wrong": (
        "For example, `{{id}}` is a *{{true}}* image predicted as *{{pred}}* (p={{p}}); {{share}} of the "
        "positive weight for the wrong class lies on food pixels."),
    "q3_caveat": (
        "*Caveat:* LIME's weights depend on the segmentation, the number of samples and the seed; with few "
        "samples they are noisy (section parameters: `lime_samples`, `lime_segments`, `seed`)."),
    # -- Q4 ----------------------------------------------------------------------------------------
    "q4_title": "## 4. SmoothGrad and guided backpropagation",
    "q4_rules": (
        "The methods differ only in how the gradient $R^{l+1}$ arriving at a rectifier is passed back to its "
        "input $f^{l}$, where the forward pass computed $f^{l+1} = \\max(f^{l}, 0)$:\n\n"
        "$$\\text{backpropagation (vanilla gradient):}\\quad R^{l}_i = [f^{l}_i > 0]\\, R^{l+1}_i$$\n\n"
        "$$\\text{deconvnet:}\\quad R^{l}_i = [R^{l+1}_i > 0]\\, R^{l+1}_i$$\n\n"
        "$$\\text{guided backpropagation:}\\quad R^{l}_i = [f^{l}_i > 0]\\,[R^{l+1}_i > 0]\\, R^{l+1}_i$$\n\n"
        "Here $[\\cdot]$ is 1 when the condition holds and 0 otherwise. For ReLU6, $\\min(\\max(f, 0), 6)$, "
        "the forward mask becomes $[0 < f^{l}_i < 6]$; this implementation applies the rule to ReLU6 as "
        "well (Captum's GuidedBackprop hooks only ReLU and would silently return the plain gradient on "
        "EfficientNet-Lite0)."),
    "q4_smoothgrad": (
        "SmoothGrad (Smilkov et al., 2017) averages a map over noisy copies of the image:\n\n"
        "$$\\hat M(x) = \\frac{1}{n} \\sum_{i=1}^{n} M\\left(x + \\epsilon_i\\right), \\qquad "
        "\\epsilon_i \\sim \\mathcal{N}\\left(0, \\sigma^2 \\left(x_{\\max} - x_{\\min}\\right)^2\\right)$$\n\n"
        "Parameters of this run: $\\sigma$ = {{sigma}} (relative to the image's value range), $n$ = {{samples}} "
        "noisy copies, seed {{seed}}. SmoothGrad x guided backprop applies the same average to guided "
        "backprop maps. All four maps are for the predicted class, largest absolute value over the colour "
        "channels, scaled per image for display."),
    "method_vanilla": "vanilla gradient",
    "method_smoothgrad": "SmoothGrad",
    "method_guided": "guided backprop",
    "method_smooth_guided": "SmoothGrad x guided backprop",
    "q4_table_intro": (
        "Two numbers per method, averaged over the explained images: how much of the map's mass sits in its "
        "brightest 10 % of pixels (higher = sharper, more focused), and the share on food pixels (food covers "
        "{{area}} of these images)."),
    "col_method": "Method",
    "col_top10": "Mass in top 10 % pixels",
    "q4_answer": (
        "**Answer.** Share of each map's mass in its brightest 10 % of pixels: vanilla gradient "
        "{{vanilla_top}}, SmoothGrad {{smooth_top}}, guided backprop {{guided_top}}, SmoothGrad x guided "
        "backprop {{sg_top}}; the most focused map is *{{sharpest}}*. The vanilla gradient is noisy because "
        "the gradient of a ReLU network changes abruptly from pixel to pixel; averaging it over {{samples}} "
        "noisy copies ($\\sigma$ = {{sigma}}) cancels much of that noise, which is why SmoothGrad maps usually "
        "look smoother. Guided backprop passes only positive gradients through active units, "
        "so its maps look like edge drawings of the photo; SmoothGrad additionally cleans up their "
        "remaining speckles. Rank correlation of the maps: vanilla vs. SmoothGrad {{corr_smooth}}, guided "
        "backprop vs. its SmoothGrad version {{corr_guided}}, vanilla vs. guided backprop {{corr_vg}}. "
        "Share on food pixels: vanilla {{vanilla_food}}, SmoothGrad {{smooth_food}}, guided backprop "
        "{{guided_food}}, SmoothGrad x guided backprop {{sg_food}}; the map most on the food is *{{most_food}}*."),
    "q4_caveat": (
        "*Caveat:* a sharper, more image-like map is not necessarily a more faithful one: guided backprop "
        "partly reconstructs the image whatever the class (Adebayo et al., 2018), so read its crisp edges "
        "as \"what the network sees\" rather than \"why it chose this class\"."),
    # -- 5. trust ----------------------------------------------------------------------------------
    "q5_title": "## 5. How much should we trust these maps?",
    "q5_method": (
        "Pretty maps are not necessarily true to the model. Two measured checks on {{n}} images (stratified, "
        "seeded), each method explaining the predicted class:\n\n"
        "* *Deletion / insertion* (Petsiuk et al., 2018): pixels are ranked by the map; deletion replaces "
        "the top-ranked pixels ({{substrate}} substrate) in {{steps}} steps and records the class probability "
        "(a faithful map makes it drop fast: **lower area is better**); insertion adds them back into a blurred "
        "copy (**higher area is better**). A random map and a centre-prior map are the baselines.\n"
        "* *Cascading randomisation* (Adebayo et al., 2018): the layers of a copy of the model are "
        "re-initialised from the top down ({{random_steps}} measured steps, the last one fully random) and "
        "each map is recomputed; the Spearman rank correlation and SSIM with the original map should "
        "**collapse towards 0** if the map depends on what the model learned.\n\n"
        "To fit the time budget this section uses SmoothGrad with n = {{sg}}, LIME with {{lime}} samples, "
        "integrated gradients with {{ig}} steps, and Grad-CAM on `{{layer}}`."),
    "q5_table_intro": ("Mean over images with a 95 % interval [low, high]; time = seconds per image for the "
                       "map alone on this machine."),
    "col_deletion": "Deletion area (lower better)",
    "col_insertion": "Insertion area (higher better)",
    "col_spearman": "Spearman after randomisation",
    "col_ssim": "SSIM after randomisation",
    "col_seconds": "s / image",
    "fig_q5_title": "Similarity to the original map while the model is randomised",
    "fig_q5_x": "layers re-initialised (from the top)",
    "fig_q5_y": "Spearman rank correlation",
    "method_lime": "LIME",
    "method_gradcam": "Grad-CAM",
    "method_ig": "Integrated Gradients",
    "baseline_random": "random map (baseline)",
    "baseline_centre": "centre prior (baseline)",
    "list_sep": ", ",
    "none": "none",
    "q5_answer_faithfulness": (
        "**Answer.** Faithfulness: the lowest deletion area is {{best_del}}'s ({{best_del_value}}; random map "
        "{{random_del}}) and the highest insertion area {{best_ins}}'s ({{best_ins_value}}; random map "
        "{{random_ins}}). {{n_beat}} of the {{n_methods}} methods beat the random map on both curves: "
        "{{beat}}. With this few images the intervals are wide, so differences smaller than them are not "
        "evidence."),
    "q5_answer_randomisation": (
        "Sanity check: after randomising the model, the maps' rank correlation with the original is "
        "{{saliency}} for the vanilla gradient, {{guided}} for guided backprop and {{smooth_guided}} for "
        "SmoothGrad x guided backprop. The map that changes least is {{most}} ({{most_value}}), the one that "
        "changes most {{least}} ({{least_value}})."),
    "q5_guided_fails": (
        "Guided backprop changes less than the vanilla gradient when the model's weights are destroyed, as "
        "Adebayo et al. found: much of its crisp picture comes from the image and the architecture, not "
        "from what the model learned. For question 4 this means the sharp guided-backprop maps should not "
        "be read as evidence of why the model chose a class; SmoothGrad cannot repair that."),
    "q5_guided_passes": (
        "Here guided backprop changes at least as much as the vanilla gradient when the model is "
        "randomised, so on this model and these images it passes the sanity check that Adebayo et al. saw "
        "it fail on other networks (the ReLU6 rule and the few images measured may matter); its maps in "
        "question 4 can be read with the same caution as the others."),
    "q5_answer_lime": (
        "LIME stability: explained under two seeds with {{samples}} samples, the top-5 superpixels overlap "
        "with a Jaccard index of {{jaccard}} on average (1 = identical), surrogate R2 {{score}}: the lower "
        "these are, the more LIME's masks in question 3 depend on chance."),
    "q5_answer_time": (
        "Cost: the fastest method is {{fastest}} ({{fastest_s}} s per image), the slowest {{slowest}} "
        "({{slowest_s}} s per image), measured on {{n}} images."),
    "closing": "All {{n}} figures of this run are saved as PNG files in `{{figures}}/`.",
    # -- class names of Food-11 (used when the data's classes.json has none for this language) --------
    "food11_classes": ("Bread | Dairy product | Dessert | Egg | Fried food | Meat | Noodles/Pasta | Rice | "
                       "Seafood | Soup | Vegetable/Fruit"),
    # -- errors for bad parameters -------------------------------------------------------------------
    "err_choice": "Parameter {{name}} = {{value}} is not valid: use one of {{valid}}.",
    "err_int_min": "Parameter {{name}} = {{value}} is not valid: use an integer >= {{minimum}}.",
    "err_int_min_optional": "Parameter {{name}} = {{value}} is not valid: use None or an integer >= {{minimum}}.",
    "err_bool": "Parameter {{name}} = {{value}} is not valid: use True or False.",
    "err_bool_optional": "Parameter {{name}} = {{value}} is not valid: use None, True or False.",
    "err_text": "Parameter {{name}} = {{value}} is not valid: use a non-empty string.",
    "err_text_optional": "Parameter {{name}} = {{value}} is not valid: use None or a non-empty string.",
    "err_image_ids_type": ("Parameter {{name}} = {{value}} is not valid: use a list of image ids (file names "
                           "without extension), e.g. [\"0_3\", \"4_70\"], or [] for the automatic choice."),
    "err_positive": "Parameter {{name}} = {{value}} is not valid: use a number > 0 (e.g. 0.2).",
    "err_data_dir": "Parameter data_dir = {{value}} cannot be used: {{detail}}",
    "err_checkpoint": "Parameter checkpoint = {{value}} does not fit the model: {{detail}}",
    "err_model": "The model cannot be built from the parameters model_arch/channel_order/input_size/device: {{detail}}",
    "err_classes": ("Parameter checkpoint = {{value}}: the model has {{classes}} classes but the data uses "
                    "{{labels}} labels; use a checkpoint trained on this data (or model_arch \"classic\")."),
    "err_image_id": ("Parameter image_ids: there is no image {{value}} in the {{split}} split ({{count}} images); "
                     "ids are file names without extension, e.g. {{examples}}."),
    "err_n_images": "Parameter n_images = {{value}} is not valid: the {{split}} split has only {{count}} images.",
    "err_layer": "Parameter layer = {{value}} is not a layer of this model. Convolution layers: {{valid}}.",
    "err_not_conv": ("Parameter layer = {{value}} is a {{kind}}, not a convolution; choose one of: {{valid}}."),
    "err_filter_index": ("Parameter filter_index = {{value}} is out of range: layer {{layer}} has {{count}} "
                         "filters, use 0..{{last}} (or None for the automatic choice)."),
}
