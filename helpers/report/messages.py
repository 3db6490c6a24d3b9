"""The report's error messages for bad parameters, in every language of the report.

The prose of the report lives in the notebook; only these messages are raised from library code,
so they stay here, keyed, with ``{name}`` placeholders (a test checks every language has the same
keys and placeholders).
"""
from __future__ import annotations

import string

LANGUAGES = ("en", "zh-TW")

MESSAGES: dict[str, dict[str, str]] = {
    "choice": {"en": "Parameter {name} = {value} is not valid: use one of {valid}.",
               "zh-TW": "參數 {name} = {value} 不正確，請使用下列其中之一：{valid}。"},
    "int_min": {"en": "Parameter {name} = {value} is not valid: use an integer >= {minimum}.",
                "zh-TW": "參數 {name} = {value} 不正確，請使用大於或等於 {minimum} 的整數。"},
    "int_min_optional": {"en": "Parameter {name} = {value} is not valid: use None or an integer >= {minimum}.",
                         "zh-TW": "參數 {name} = {value} 不正確，請使用 None 或大於或等於 {minimum} 的整數。"},
    "int_range": {"en": "Parameter {name} = {value} is not valid: use an integer from {minimum} to {maximum}.",
                  "zh-TW": "參數 {name} = {value} 不正確，請使用 {minimum} 到 {maximum} 之間的整數。"},
    "bool": {"en": "Parameter {name} = {value} is not valid: use True or False.",
             "zh-TW": "參數 {name} = {value} 不正確，請使用 True 或 False。"},
    "bool_optional": {"en": "Parameter {name} = {value} is not valid: use None, True or False.",
                      "zh-TW": "參數 {name} = {value} 不正確，請使用 None、True 或 False。"},
    "text": {"en": "Parameter {name} = {value} is not valid: use a non-empty string.",
             "zh-TW": "參數 {name} = {value} 不正確，請使用非空白的字串。"},
    "text_optional": {"en": "Parameter {name} = {value} is not valid: use None or a non-empty string.",
                      "zh-TW": "參數 {name} = {value} 不正確，請使用 None 或非空白的字串。"},
    "positive": {"en": "Parameter {name} = {value} is not valid: use a number > 0 (e.g. 0.2).",
                 "zh-TW": "參數 {name} = {value} 不正確，請使用大於 0 的數字（例如 0.2）。"},
    "image_ids_type": {
        "en": "Parameter {name} = {value} is not valid: use a list of image ids (file names without extension; "
              "in the ImageFolder layout <class folder>/<name>), e.g. [\"0_3\", \"4_70\"], or [] for the "
              "automatic choice.",
        "zh-TW": "參數 {name} = {value} 不正確，請給影像 id 的 list（不含副檔名的檔名；ImageFolder 格式為 "
                 "<類別資料夾>/<檔名>），例如 [\"0_3\", \"4_70\"]；給 [] 則由程式自動挑選。"},
    "unknown": {"en": "Unknown parameter {name}: the report's parameters are {valid}.",
                "zh-TW": "沒有參數 {name}：報告的參數有 {valid}。"},
    "output_dir": {"en": "Parameter {name} = {value} cannot be used: {detail}. Give a folder you can write to.",
                   "zh-TW": "參數 {name} = {value} 無法使用：{detail}。請指定一個可以寫入的資料夾。"},
    "data_dir": {"en": "Parameter data_dir = {value} cannot be used: {detail}",
                 "zh-TW": "參數 data_dir = {value} 無法使用：{detail}"},
    "checkpoint": {"en": "Parameter checkpoint = {value} does not fit the model: {detail}",
                   "zh-TW": "參數 checkpoint = {value} 與模型不符：{detail}"},
    "model": {"en": "The model cannot be built from the parameters model_arch/model_kwargs/normalize/resize/"
                    "channel_order/input_size/device: {detail}",
              "zh-TW": "無法依參數 model_arch／model_kwargs／normalize／resize／channel_order／input_size／device "
                       "建立模型：{detail}"},
    "model_arch": {"en": "Parameter {name} = {value} is not valid: use 'default', 'classic', 'path/to/model.py:ClassName' "
                         "(your own model class), 'torchvision:<name>' (e.g. 'torchvision:resnet18') or 'timm:<name>'.",
                   "zh-TW": "參數 {name} = {value} 不正確，請使用 'default'、'classic'、'path/to/model.py:ClassName'"
                            "（你自己的模型類別）、'torchvision:<name>'（例如 'torchvision:resnet18'）或 'timm:<name>'。"},
    "model_kwargs": {"en": "Parameter {name} = {value} is not valid: use a dict of the model class's constructor "
                           "arguments by name, e.g. {{\"widths\": [32, 64, 128]}}, or {{}} for none.",
                     "zh-TW": "參數 {name} = {value} 不正確，請給模型類別建構子參數的 dict（以參數名稱為鍵），例如 "
                              "{{\"widths\": [32, 64, 128]}}；沒有參數則給 {{}}。"},
    "normalize": {"en": "Parameter {name} = {value} is not valid: use None (the architecture's own), 'none', 'imagenet', "
                        "or {{\"mean\": [r, g, b], \"std\": [r, g, b]}} (values for images in [0, 1], std > 0).",
                  "zh-TW": "參數 {name} = {value} 不正確，請使用 None（架構本身的設定）、'none'、'imagenet'，或 "
                           "{{\"mean\": [r, g, b], \"std\": [r, g, b]}}（針對 [0, 1] 影像的數值，std 需大於 0）。"},
    "image_id": {"en": "Parameter image_ids: there is no image {value} in the {split} split ({count} images); "
                       "ids are {form}, e.g. {examples}.",
                 "zh-TW": "參數 image_ids：{split} 資料集（共 {count} 張）中沒有影像 {value}；影像 id 是{form}，"
                          "例如 {examples}。"},
    "image_ids_unreadable": {
        "en": "Parameter image_ids = {value}: none of these images can be read ({detail}); choose other images "
              "or [] for the automatic choice.",
        "zh-TW": "參數 image_ids = {value}：這些影像都無法讀取（{detail}）；請選其他影像，或給 [] 由程式自動挑選。"},
    "n_images": {"en": "Parameter n_images = {value} is not valid: the {split} split has only {count} images.",
                 "zh-TW": "參數 n_images = {value} 不正確：{split} 資料集只有 {count} 張影像。"},
    "layer": {"en": "Parameter layer = {value} is not a layer of this model. Convolution layers: {valid}.",
              "zh-TW": "參數 layer = {value} 不是這個模型的層。可用的卷積層：{valid}。"},
    "not_conv": {"en": "Parameter layer = {value} is a {kind}, not a convolution; choose one of: {valid}.",
                 "zh-TW": "參數 layer = {value} 是 {kind}，不是卷積層；請從下列選擇：{valid}。"},
    "filter_index": {"en": "Parameter filter_index = {value} is out of range: layer {layer} has {count} filters, "
                           "use 0..{last} (or None for the automatic choice).",
                     "zh-TW": "參數 filter_index = {value} 超出範圍：{layer} 層有 {count} 個 filter，請使用 0..{last}"
                              "（或設為 None 由程式自動挑選）。"},
}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def message(language: str, key: str, **values: object) -> str:
    """The message ``key`` in ``language`` with its placeholders filled."""
    return MESSAGES[key][language].format(**values)
