"""Frozen-graph inference of the semantic models: same outputs as eager, never stale weights."""

import logging

import pytest
import torch
from test_unet import build


def image(height, width, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return {"image": torch.randint(0, 256, (3, height, width), generator=generator).float()}


def eager(model, item):
    """The model's output without the frozen graph."""
    frozen, model.frozen = model.frozen, None
    try:
        with torch.no_grad():
            return model([item])[0]
    finally:
        model.frozen = frozen


def frozen(model, item):
    with torch.inference_mode():
        return model([item])[0]


def assert_same(a, b):
    assert torch.allclose(a["sem_seg"], b["sem_seg"], atol=1e-5)
    assert torch.equal(a["instances"].pred_masks, b["instances"].pred_masks)


@pytest.mark.parametrize("config", ["unet_base.yaml", "mobileunet_cpu.yaml"])
def test_frozen_graph_gives_the_eager_outputs_per_input_size(config):
    model = build(config, ["MODEL.WEIGHTS", ""]).eval()
    assert model.frozen is not None  # on by default
    for height, width in [(64, 96), (37, 53), (64, 96)]:
        item = image(height, width)
        assert_same(frozen(model, item), eager(model, item))
    assert len(model.frozen.graphs) == 2  # one graph per padded input shape, reused


def test_the_frozen_graph_follows_weight_changes():
    model = build("unet_base.yaml", ["MODEL.WEIGHTS", ""]).eval()
    item = image(48, 64)
    before = frozen(model, item)
    other = build("unet_base.yaml", ["MODEL.WEIGHTS", "", "SEED", "7"])
    torch.manual_seed(7)
    for parameter in other.parameters():
        torch.nn.init.normal_(parameter, std=0.05)
    model.load_state_dict(other.state_dict())  # as a checkpoint load or an optimizer step
    after = frozen(model, item)
    assert not torch.allclose(before["sem_seg"], after["sem_seg"])
    assert_same(after, eager(model, item))


def test_training_steps_invalidate_the_graph_and_train_mode_runs_eagerly():
    model = build("unet_base.yaml", ["MODEL.WEIGHTS", ""]).eval()
    item = image(32, 32)
    frozen(model, item)
    model.train()
    batch = [dict(item, sem_seg=torch.randint(0, 2, (32, 32)))]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = sum(model(batch).values())
    loss.backward()  # gradients flow: training never goes through the frozen graph
    optimizer.step()
    model.eval()
    assert_same(frozen(model, item), eager(model, item))


def test_a_graph_that_cannot_be_frozen_runs_eagerly_with_one_warning(monkeypatch, caplog):
    model = build("unet_base.yaml", ["MODEL.WEIGHTS", ""]).eval()

    def refuse(*args, **kwargs):
        raise RuntimeError("not traceable here")

    monkeypatch.setattr(torch.jit, "trace", refuse)
    item = image(40, 40)
    records = []
    collect = logging.Handler(logging.WARNING)
    collect.emit = records.append
    logger = logging.getLogger("d2hands.modeling.frozen_inference")
    logger.addHandler(collect)  # directly: other tests' logging set-up may stop propagation
    caplog.set_level(logging.WARNING, logger=logger.name)  # ... or raise the level
    try:
        first, second = frozen(model, item), frozen(model, item)
    finally:
        logger.removeHandler(collect)
    assert_same(first, eager(model, item))
    assert_same(second, first)
    warnings = [r for r in records if "freezing its graph failed" in r.getMessage()]
    assert len(warnings) == 1 and "not traceable here" in warnings[0].getMessage()


def test_frozen_inference_can_be_switched_off():
    model = build("unet_base.yaml", ["MODEL.WEIGHTS", "", "MODEL.UNET.FROZEN_INFERENCE", "False"])
    assert model.frozen is None


def test_min_instance_fraction_drops_components_below_that_share_of_the_image():
    from detectron2.structures import ImageList

    model = build("unet_base.yaml", ["MODEL.WEIGHTS", "", "MODEL.UNET.MIN_INSTANCE_AREA", "0",
                                     "MODEL.UNET.MIN_INSTANCE_FRACTION", "0.05"]).eval()
    logits = torch.zeros(1, 2, 40, 50)
    logits[0, 1, 2:8, 2:7] = 5.0  # 30 px, below 0.05 x 2000 = 100 px
    logits[0, 1, 20:30, 20:40] = 5.0  # 200 px
    images = ImageList(torch.zeros(1, 3, 40, 50), [(40, 50)])
    model._run = lambda batched, with_targets: (images, logits, {})
    with torch.no_grad():
        instances = model([{"image": torch.zeros(3, 40, 50)}])[0]["instances"]
    assert len(instances) == 1
    assert instances.pred_masks[0].sum() == 200
    assert instances.pred_masks[0][20:30, 20:40].all()


def test_eval_mode_with_gradients_runs_eagerly_so_weights_get_gradients():
    model = build("unet_base.yaml", ["MODEL.WEIGHTS", ""]).eval()
    out = model([image(32, 32)])[0]  # gradients on: e.g. a saliency map or a custom loss
    out["sem_seg"].sum().backward()
    assert model.sem_seg_head.predictor.weight.grad is not None
    assert not model.frozen.graphs


def test_a_model_with_graphs_deep_copies_and_the_copy_infers_alike():
    import copy

    model = build("mobileunet_cpu.yaml", ["MODEL.WEIGHTS", ""]).eval()
    item = image(48, 64)
    before = frozen(model, item)
    twin = copy.deepcopy(model)  # TorchScript graphs are not copied; the twin re-traces
    assert not twin.frozen.graphs and twin.frozen.module is twin
    assert_same(frozen(twin, item), before)
