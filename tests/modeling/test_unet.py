"""The U-Net and MobileUNet: the paper's parameter counts, any input size, freezing, bad input."""

import pytest
import torch
from conftest import ROOT

CONFIGS = ROOT / "configs"


def build(config, opts=()):
    from detectron2.modeling import build_model

    from d2hands.engine import build_cfg

    return build_model(build_cfg(str(CONFIGS / config), list(opts)))


def count(model):
    return sum(p.numel() for p in model.parameters())


def ronneberger_count(depth, width, convs, classes=2):
    """Parameters of a U-Net (3x3 convs with bias, 2x2 transposed convs, 1x1 classifier)."""
    total, channels = 0, 3
    widths = [width * 2 ** level for level in range(depth + 1)]
    for out in widths:  # encoder
        for index in range(convs):
            total += (channels if index == 0 else out) * out * 9 + out
        channels = out
    for level in range(depth, 0, -1):  # decoder
        deep, skip = widths[level], widths[level - 1]
        total += deep * skip * 4 + skip
        for index in range(convs):
            total += (2 * skip if index == 0 else skip) * skip * 9 + skip
    return total + widths[0] * classes + classes


@pytest.mark.parametrize(("config", "paper", "depth", "convs"), [
    ("unet_paper.yaml", 7.7e6, 4, 2), ("unet_base.yaml", 0.95e6, 3, 1)])
def test_parameter_counts_match_the_paper(config, paper, depth, convs):
    plain = build(config, ["MODEL.UNET.NORM", "", "MODEL.UNET.DROPOUT", "0.0"])
    assert count(plain) == ronneberger_count(depth, 32, convs)
    assert count(plain) == pytest.approx(paper, rel=0.05)
    assert count(build(config)) == pytest.approx(paper, rel=0.05)  # as configured (BN adds few)


@pytest.mark.parametrize("config", ["unet_base.yaml", "mobileunet_cpu.yaml"])
@pytest.mark.parametrize(("height", "width"), [(135, 240), (37, 53)])
def test_any_input_size_is_padded_and_the_output_has_its_size(config, height, width):
    model = build(config, ["MODEL.WEIGHTS", ""]).eval()
    image = torch.randint(0, 256, (3, height, width)).float()
    with torch.no_grad():
        out = model([{"image": image, "height": 2 * height, "width": 2 * width}])[0]
    assert out["sem_seg"].shape == (2, 2 * height, 2 * width)
    assert torch.allclose(out["sem_seg"].sum(0), torch.ones(2 * height, 2 * width), atol=1e-5)
    assert out["instances"].image_size == (2 * height, 2 * width)


def test_freeze_at_freezes_encoder_levels():
    model = build("unet_base.yaml", ["MODEL.BACKBONE.FREEZE_AT", "2"])
    frozen = {name.split(".")[1] for name, p in model.backbone.named_parameters()
              if not p.requires_grad}
    assert frozen == {"0", "1"}
    everything = build("unet_base.yaml", ["MODEL.BACKBONE.FREEZE_AT", "5"])
    assert not any(p.requires_grad for p in everything.backbone.parameters())
    assert all(p.requires_grad for p in everything.sem_seg_head.parameters())


@pytest.mark.parametrize(("opts", "words"), [
    (["MODEL.UNET.DEPTH", "0"], "MODEL.UNET.DEPTH"),
    (["MODEL.UNET.DROPOUT", "1.0"], "MODEL.UNET.DROPOUT"),
    (["MODEL.UNET.NORM", "LN"], "MODEL.UNET.NORM"),
    (["MODEL.SEM_SEG_HEAD.NUM_CLASSES", "1"], "NUM_CLASSES"),
    (["MODEL.SEM_SEG_HEAD.IN_FEATURES", '["u0", "u9"]'], "IN_FEATURES"),
    (["MODEL.SEM_SEG_HEAD.IN_FEATURES", '["u0", "u2"]'], "strides double"),
    (["MODEL.UNET.MIN_INSTANCE_FRACTION", "1.5"], "MIN_INSTANCE_FRACTION"),
])
def test_bad_settings_name_their_key(opts, words):
    with pytest.raises(ValueError, match=words):
        build("unet_base.yaml", opts)


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    from detectron2.checkpoint import DetectionCheckpointer

    from d2hands.engine import build_cfg
    from d2hands.errors import ModelLoadError
    from d2hands.modeling.loading import load_model

    maskrcnn = build("hands_tiny_cpu.yaml")
    DetectionCheckpointer(maskrcnn, save_dir=str(tmp_path)).save("maskrcnn")
    cfg = build_cfg(str(CONFIGS / "unet_base.yaml"))
    with pytest.raises(ModelLoadError, match="do not fit the model"):
        load_model(cfg, tmp_path / "maskrcnn.pth")


def test_the_imagenet_file_initialises_the_whole_mobileunet_encoder():
    from detectron2.checkpoint import DetectionCheckpointer

    from d2hands.modeling.loading import load_checked

    weights = ROOT / ".cache" / "weights" / "mobilenetv2_imagenet_d2.pth"
    if not weights.is_file():
        pytest.skip("no converted ImageNet weights (make setup writes them)")
    model = build("mobileunet_cpu.yaml")
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    load_checked(DetectionCheckpointer(model), str(weights), checkpointables=[], partial=True)
    after = model.backbone.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert all(k.startswith("bottom_up.features.") for k in after)
    assert len(changed) >= 0.9 * len([k for k in after if "num_batches" not in k])
