"""Build the model to explain from report parameters: architecture, checkpoint, preprocessing.

Every model returned here takes RGB images in [0, 1] at ``input_size`` (resized by the data loader
with ``resize_mode``): a classic model trained on OpenCV's BGR flips channels inside, the default
model normalises itself, and any other model (the user's own class, a torchvision or timm builder)
is wrapped in :class:`~helpers.models.preprocessing.Preprocessed`, which applies its channel order
and normalisation. So explanations line up with the picture a person sees.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from helpers.data.images import CHANNEL_ORDERS, RESIZE_MODES, ResizeMode
from helpers.device import pick_device
from helpers.models.checkpoint import (CheckpointError, load_checkpoint, read_checkpoint, read_state_dict,
                                       unwrap_state_dict)
from helpers.models.classic import CLASSIC_CHANNELS, Food11CNN
from helpers.models.default_model import (DEFAULT_HEAD_PATH, DEFAULT_INPUT_SIZE, DEFAULT_RESIZE_MODE,
                                          default_head_info, load_default_model)
from helpers.models.preprocessing import (NO_NORMALIZATION, ModelSource, Normalization, Preprocessed,
                                          parse_normalization)
from helpers.models.user_models import (ArchitectureSpec, ModelSpecError, build_by_name, classes_in_checkpoint,
                                        classifier_key, construct, import_model_file, model_class,
                                        parse_architecture, user_pickle_module)

ARCHITECTURES = ("default", "classic")  # the built-in ones; model_arch also takes a file, torchvision: or timm:


@dataclass
class LoadedModel:
    """A model ready to explain, with what is needed to feed it."""

    model: nn.Module
    architecture: str
    input_size: int
    resize_mode: ResizeMode
    num_classes: int
    device: torch.device
    checkpoint: Path | None
    class_names: list[str] | None = None
    info: dict = field(default_factory=dict)
    # what the model does to its [0, 1] RGB input before its first layer (applied inside it)
    normalization: Normalization = NO_NORMALIZATION
    channel_order: str = "rgb"
    model_class: str = ""                 # the class of the user's network (ResNet, StudentNet...)
    model_file: Path | None = None        # the user's model file (model_arch "path.py:Class")
    model_kwargs: dict = field(default_factory=dict)

    @property
    def normalize(self) -> str:
        """"none", "imagenet", "custom" or the architecture's own rule."""
        return self.normalization.name

    @property
    def mean(self) -> tuple[float, ...] | None:
        return self.normalization.mean

    @property
    def std(self) -> tuple[float, ...] | None:
        return self.normalization.std

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def infer_classic_config(state: dict[str, torch.Tensor]) -> dict[str, int | float]:
    """Read num_classes, input size and the Dropout variant off a classic-model state_dict."""
    state = {k.removeprefix("module."): v for k, v in state.items()}
    conv_keys = sorted((int(k.split(".")[1]) for k, v in state.items()
                        if k.startswith("cnn.") and k.endswith(".weight") and v.ndim == 4))
    if len(conv_keys) != len(CLASSIC_CHANNELS):
        raise CheckpointError(f"Expected {len(CLASSIC_CHANNELS)} conv layers (cnn.<i>.weight) in a classic "
                              f"checkpoint, found {len(conv_keys)}: is it really the HW3 model?")
    stride = conv_keys[1] - conv_keys[0]  # 4 modules per block, 5 with Dropout
    linear = sorted((k for k, v in state.items() if k.startswith("fc.") and k.endswith(".weight") and v.ndim == 2),
                    key=lambda k: int(k.split(".")[1]))
    if not linear:
        raise CheckpointError("No fully connected layers (fc.<i>.weight) in the checkpoint.")
    side = round((state[linear[0]].shape[1] / CLASSIC_CHANNELS[-1]) ** 0.5)
    return {"num_classes": int(state[linear[-1]].shape[0]), "input_size": side * 32,
            "dropout": 0.5 if stride == 5 else 0.0}


# The default model's own normalisation, applied inside EfficientNetLite0.forward: (x - 0.5) / 0.5
DEFAULT_NORMALIZATION = Normalization("(x - 0.5) / 0.5", (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


def load_model(architecture: str = "default", checkpoint: str | Path | None = None,
               channel_order: str = "rgb", input_size: int | None = None, num_classes: int | None = None,
               device: str | torch.device | None = "auto", allow_pickle: bool = False,
               model_kwargs: dict | None = None, normalize: str | dict | None = None,
               resize: str | None = None) -> LoadedModel:
    """The model to explain, in eval mode on the chosen device.

    ``architecture="default"``: EfficientNet-Lite0 with the committed head (``checkpoint`` may
    name another head file). ``"classic"``: the HW3 CNN; with a checkpoint its class count, input
    size and Dropout variant are read off the file; without one it has random weights (for tests).
    ``"path/to/model.py:Class"``: ``Class(**model_kwargs)`` from the user's file (importing it runs
    their code); ``"torchvision:<name>"`` / ``"timm:<name>"``: a builder without pretrained weights,
    its class count read off the checkpoint's last layer. ``normalize`` (None = the architecture's
    own, "none", "imagenet", ``{"mean": [...], "std": [...]}``) and ``resize`` (None = the
    architecture's own, "squash", "center_crop") describe the preprocessing the model was trained with.
    """
    spec = parse_architecture(architecture)
    if channel_order not in CHANNEL_ORDERS:
        raise ValueError(f"channel_order must be one of {CHANNEL_ORDERS}, got {channel_order!r}.")
    if resize is not None and resize not in RESIZE_MODES:
        raise ValueError(f"resize must be None (the architecture's own) or one of {RESIZE_MODES}, got {resize!r}.")
    model_kwargs = dict(model_kwargs or {})
    if model_kwargs and spec.kind in ("default", "classic"):
        raise ModelSpecError(f"model_kwargs are the constructor's arguments of your own model class or of a "
                             f"torchvision/timm builder; the {spec.kind} architecture takes none (got {model_kwargs}).")
    target = pick_device(device)
    if spec.kind == "default":
        return _load_default(checkpoint, channel_order, input_size, normalize, resize, target)
    if spec.kind == "classic":
        return _load_classic(checkpoint, channel_order, input_size, num_classes, allow_pickle, normalize, resize,
                             target)
    return _load_user_model(spec, architecture, checkpoint, channel_order, input_size, num_classes, allow_pickle,
                            model_kwargs, normalize, resize, target)


def _load_default(checkpoint, channel_order, input_size, normalize, resize, target) -> LoadedModel:
    if channel_order != "rgb":
        raise ValueError("The default model's ImageNet weights expect RGB: use channel_order='rgb'.")
    if input_size not in (None, DEFAULT_INPUT_SIZE):
        raise ValueError(f"The default model takes {DEFAULT_INPUT_SIZE}x{DEFAULT_INPUT_SIZE} input, "
                         f"not {input_size}.")
    if normalize is not None:
        raise ValueError(f"The default model normalises its input itself ({DEFAULT_NORMALIZATION.name}): "
                         f"leave normalize=None, not {normalize!r}.")
    head = Path(checkpoint) if checkpoint else DEFAULT_HEAD_PATH
    model = load_default_model(head_path=head).eval().to(target)
    info = default_head_info() if head == DEFAULT_HEAD_PATH else {}
    return LoadedModel(model, "default", DEFAULT_INPUT_SIZE, resize or DEFAULT_RESIZE_MODE, model._fc.out_features,
                       target, Path(checkpoint) if checkpoint else None, info.get("class_names"), info,
                       normalization=DEFAULT_NORMALIZATION, model_class=type(model).__name__)


def _load_classic(checkpoint, channel_order, input_size, num_classes, allow_pickle, normalize, resize,
                  target) -> LoadedModel:
    normalization = parse_normalization(normalize)
    # With a normalisation the wrapper does channel order then normalisation, in that order, as for
    # any model; without one the classic model flips channels itself (as it always did).
    inner_order = channel_order if normalization.is_identity else "rgb"
    if checkpoint:
        config = infer_classic_config(read_state_dict(checkpoint, allow_pickle))
        if input_size not in (None, config["input_size"]):
            raise CheckpointError(f"The checkpoint was trained at {config['input_size']}px input, "
                                  f"not input_size={input_size}.")
        if num_classes not in (None, config["num_classes"]):
            raise CheckpointError(f"The checkpoint has {config['num_classes']} classes, not "
                                  f"num_classes={num_classes}.")
        model = Food11CNN(int(config["num_classes"]), float(config["dropout"]), int(config["input_size"]),
                          inner_order)
        load_checkpoint(model, checkpoint, allow_pickle)
    else:
        model = Food11CNN(num_classes or 11, input_size=input_size or 128, channel_order=inner_order)
    size, classes, resize_mode = model.input_size, model.num_classes, resize or "squash"
    if not normalization.is_identity:
        model = Preprocessed(model, normalization, channel_order, resize_mode, size,
                             ModelSource("classic", "Food11CNN"))
    return LoadedModel(model.eval().to(target), "classic", size, resize_mode, classes, target,
                       Path(checkpoint) if checkpoint else None, None, {}, normalization=normalization,
                       channel_order=channel_order, model_class="Food11CNN")


def _own_preprocessing(spec: ArchitectureSpec, net: nn.Module) -> tuple[Normalization, ResizeMode, int | None]:
    """The preprocessing an architecture was made for: ImageNet's for torchvision, the model's
    pretrained config for timm; for a user's class none, squash, and its ``input_size`` attribute."""
    if spec.kind == "torchvision":
        import torchvision

        try:  # the crop its published weights were evaluated at (299 for inception_v3); read, never downloaded
            crop = list(torchvision.models.get_model_weights(spec.name))[0].transforms.keywords.get("crop_size", 224)
        except (ValueError, IndexError, AttributeError):
            crop = 224
        return parse_normalization("imagenet"), "center_crop", int(crop)
    if spec.kind == "timm":
        cfg = dict(getattr(net, "pretrained_cfg", None) or getattr(net, "default_cfg", None) or {})
        mean, std = cfg.get("mean"), cfg.get("std")
        normalization = parse_normalization({"mean": list(mean), "std": list(std)}) if mean and std else NO_NORMALIZATION
        size = cfg.get("input_size", (3, 224, 224))[-1]
        return normalization, "center_crop", int(size)
    size = getattr(net, "input_size", None)
    return NO_NORMALIZATION, "squash", size if isinstance(size, int) and not isinstance(size, bool) else None


def _build_network(spec: ArchitectureSpec, architecture: str, checkpoint, num_classes, allow_pickle,
                   model_kwargs) -> tuple[nn.Module, ModelSource]:
    if spec.kind == "file":
        module = import_model_file(spec.path)
        cls = model_class(module, spec.name)
        source = ModelSource(architecture, cls.__name__, str(Path(module.__file__)),
                             module.__model_sources_sha256__, model_kwargs)
        if not checkpoint:
            return construct(cls, model_kwargs), source
        held = read_checkpoint(checkpoint, allow_pickle, user_pickle_module(module) if allow_pickle else None)
        if isinstance(held, nn.Module):  # a whole pickled model (allow_pickle=True was needed to get here)
            if type(held).__qualname__ != cls.__qualname__:
                raise CheckpointError(f"{checkpoint} holds a whole {type(held).__name__} model, not a {cls.__name__}: "
                                      f"set model_arch to the file and class it was made from.")
            return held, source
        net = construct(cls, model_kwargs)
        load_checkpoint(net, checkpoint, state=unwrap_state_dict(held))
        return net, source
    state = read_state_dict(checkpoint, allow_pickle) if checkpoint else None
    classes = num_classes
    if state is not None:
        with torch.device("meta"):  # only to find the last layer's name: no memory, no initialisation
            key = classifier_key(build_by_name(spec, None, model_kwargs))
        found = classes_in_checkpoint(state, key)
        if found is not None and num_classes not in (None, found):
            raise CheckpointError(f"The checkpoint's last layer {key} has {found} outputs, not num_classes={num_classes}.")
        classes = found or num_classes
    net = build_by_name(spec, classes, model_kwargs)
    if state is not None:
        load_checkpoint(net, checkpoint, state=state)
    return net, ModelSource(architecture, type(net).__name__, model_kwargs=model_kwargs)


def check_output(model: nn.Module, input_size: int, device: torch.device) -> int:
    """Run one forward on a zero batch at ``input_size``; return the class count, or raise
    ModelSpecError saying what the model gave instead of ``(N, classes)`` float logits."""
    batch = torch.zeros(2, 3, input_size, input_size, device=device)
    try:
        with torch.no_grad():
            output = model(batch)
    except Exception as error:  # noqa: BLE001 - whatever the user's forward raises, name the size
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ModelSpecError(f"the model cannot take {input_size}x{input_size} input: a forward of a zero batch "
                             f"(2, 3, {input_size}, {input_size}) raised {type(error).__name__}: {detail}. Set "
                             "input_size to the size it was trained at.") from error
    if not isinstance(output, torch.Tensor):
        raise ModelSpecError(f"the model returns a {type(output).__name__}, not a tensor of logits (N, classes): make "
                             "its forward return the class scores only (e.g. a wrapper module returning output.logits)")
    if output.ndim != 2 or output.shape[0] != 2 or output.shape[1] < 2 or not output.is_floating_point():
        raise ModelSpecError(f"the model's output for a batch of 2 images is a {output.dtype} tensor of shape "
                             f"{tuple(output.shape)}: expected float logits of shape (2, classes) with at least 2 "
                             "classes")
    return int(output.shape[1])


def _load_user_model(spec, architecture, checkpoint, channel_order, input_size, num_classes, allow_pickle,
                     model_kwargs, normalize, resize, target) -> LoadedModel:
    net, source = _build_network(spec, architecture, checkpoint, num_classes, allow_pickle, model_kwargs)
    own_normalization, own_resize, own_size = _own_preprocessing(spec, net)
    size = input_size or own_size
    if size is None:
        raise ModelSpecError(f"input_size is needed for {source.class_name} from {spec.path}: set it to the image "
                             "side the model was trained at (e.g. 128), or give the class an input_size attribute")
    normalization = parse_normalization(normalize, default=own_normalization)
    resize_mode = resize or own_resize
    model = Preprocessed(net, normalization, channel_order, resize_mode, size, source).eval().to(target)
    classes = check_output(model, size, target)
    if num_classes not in (None, classes):
        raise ModelSpecError(f"the model has {classes} outputs, not num_classes={num_classes}")
    return LoadedModel(model, architecture, size, resize_mode, classes, target,
                       Path(checkpoint) if checkpoint else None, None, {}, normalization=normalization,
                       channel_order=channel_order, model_class=source.class_name,
                       model_file=Path(source.model_file) if source.model_file else None,
                       model_kwargs=dict(model_kwargs))
