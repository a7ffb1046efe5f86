"""U-Net training for real on a tiny config: targets, loss, early stopping, resume, bad input."""

import json
from pathlib import Path

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from conftest import ROOT

BASE = str(ROOT / "configs" / "unet_base.yaml")


def opts(toy_sets, out, *extra):
    (synth_json, synth_images), (real_json, real_images) = toy_sets["synth"], toy_sets["real"]
    register = [["toy_synth", str(synth_json), str(synth_images)],
                ["toy_real", str(real_json), str(real_images)]]
    # Toy images are 128x96: no resize, and both sides divide by the U-Net's stride 8.
    return ["DATASETS.REGISTER", json.dumps(register), "DATASETS.TRAIN", '("toy_synth",)',
            "DATASETS.TEST", '("toy_real",)', "MODEL.UNET.WIDTH", "8", "SOLVER.IMS_PER_BATCH",
            "2", "INPUT.MIN_SIZE_TRAIN", "(96,)", "INPUT.MAX_SIZE_TRAIN", "128",
            "INPUT.MIN_SIZE_TEST", "96", "INPUT.MAX_SIZE_TEST", "128", "INPUT.RANDOM_FLIP",
            "none", "TEST.EVAL_PERIOD", "0", "HANDS.EARLY_STOP.ENABLED", "False",
            "OUTPUT_DIR", str(out), *map(str, extra)]


def train(cfg_opts, resume=False):
    from d2hands.engine import HandsTrainer, build_cfg

    cfg = build_cfg(BASE, cfg_opts)
    trainer = HandsTrainer(cfg)
    trainer.resume_or_load(resume=resume)
    trainer.train()
    return cfg, trainer


def union_mask(coco_json, image_id):
    coco = json.loads(coco_json.read_text())
    image = next(i for i in coco["images"] if i["id"] == image_id)
    mask = np.zeros((image["height"], image["width"]), dtype=bool)
    for ann in coco["annotations"]:
        if ann["image_id"] == image_id:
            segm = ann["segmentation"]
            if isinstance(segm, list):
                segm = mask_utils.merge(mask_utils.frPyObjects(segm, image["height"],
                                                               image["width"]))
            mask |= mask_utils.decode(segm).astype(bool)
    return mask


def test_the_mapper_makes_the_union_of_the_hand_masks(toy_sets, tmp_path):
    from detectron2.data import DatasetCatalog

    from d2hands.data.train_mapper import HandsTrainMapper
    from d2hands.engine import build_cfg

    cfg = build_cfg(BASE, opts(toy_sets, tmp_path))
    mapper = HandsTrainMapper(cfg)
    for record in DatasetCatalog.get("toy_synth")[:4]:
        mapped = mapper(dict(record))
        expected = union_mask(toy_sets["synth"][0], record["image_id"])
        assert mapped["sem_seg"].dtype == torch.int64
        assert np.array_equal(mapped["sem_seg"].numpy(), expected.astype(np.int64))


def test_paper_augmentations_move_image_and_mask_together(toy_sets, tmp_path):
    from detectron2.data import DatasetCatalog

    from d2hands.data.train_mapper import HandsTrainMapper
    from d2hands.engine import build_cfg

    cfg = build_cfg(BASE, opts(toy_sets, tmp_path, "HANDS.AUGMENT.ENABLED", "True",
                               "HANDS.AUGMENT.PROB", "1.0", "HANDS.AUGMENT.CROP", "1.0",
                               "HANDS.AUGMENT.ROTATION", "0.0"))
    record = DatasetCatalog.get("toy_synth")[0]
    np.random.seed(0)
    mapped = HandsTrainMapper(cfg)(dict(record))
    plain = HandsTrainMapper(build_cfg(BASE, opts(toy_sets, tmp_path)))(dict(record))
    assert torch.equal(mapped["sem_seg"], plain["sem_seg"])  # noise and blur: image only
    assert not torch.equal(mapped["image"], plain["image"])
    np.random.seed(0)
    rotated = HandsTrainMapper(build_cfg(BASE, opts(
        toy_sets, tmp_path, "HANDS.AUGMENT.ENABLED", "True", "HANDS.AUGMENT.PROB", "1.0",
        "HANDS.AUGMENT.ROTATION", "30.0", "HANDS.AUGMENT.NOISE_SIGMA", "0.0")))(dict(record))
    # The white toy background is 255 in every channel; hand pixels are darker: the rotated
    # mask still covers (nearly) only non-background pixels of the rotated image.
    hand = rotated["sem_seg"].bool()
    background = (rotated["image"] >= 250).all(0)
    assert hand.sum() > 0 and (hand & background).float().sum() / hand.sum() < 0.05


@pytest.mark.slow
def test_a_few_real_steps_lower_the_loss(toy_sets, tmp_path):
    one, _ = train(opts(toy_sets, tmp_path / "one", "SOLVER.MAX_ITER", 1))
    forty, _ = train(opts(toy_sets, tmp_path / "forty", "SOLVER.MAX_ITER", 40))
    before = validation_loss_of(tmp_path / "one" / "model_final.pth", one, "toy_synth")
    after = validation_loss_of(tmp_path / "forty" / "model_final.pth", forty, "toy_synth")
    assert after < 0.7 * before


def validation_loss_of(weights, cfg, dataset="toy_real"):
    """Mean per-image cross-entropy of a checkpoint on a dataset, from its probabilities and
    masks decoded with pycocotools (not the hook's code)."""
    from detectron2.data import DatasetCatalog
    from detectron2.data import detection_utils as utils

    from d2hands.modeling.loading import load_model

    model = load_model(cfg, weights)
    losses = []
    for record in DatasetCatalog.get(dataset):
        image = utils.read_image(record["file_name"], format=cfg.INPUT.FORMAT)
        tensor = torch.as_tensor(image.transpose(2, 0, 1).copy()).float()
        with torch.no_grad():
            probs = model([{"image": tensor}])[0]["sem_seg"]
        coco_json = next(Path(path) for name, path, _ in cfg.DATASETS.REGISTER if name == dataset)
        target = torch.from_numpy(union_mask(coco_json, record["image_id"])).long()
        losses.append(-torch.log(probs.gather(0, target[None])).mean().item())
    return float(np.mean(losses))


@pytest.mark.slow
def test_early_stopping_stops_and_restores_the_best_weights(toy_sets, tmp_path):
    # MIN_DELTA 10: only the first evaluation is an improvement, so patience 2 stops at 15.
    cfg, trainer = train(opts(toy_sets, tmp_path, "SOLVER.MAX_ITER", 60,
                              "HANDS.EARLY_STOP.ENABLED", "True", "HANDS.EARLY_STOP.PERIOD", 5,
                              "HANDS.EARLY_STOP.PATIENCE", 2, "HANDS.EARLY_STOP.MIN_DELTA", 10.0))
    record = json.loads((tmp_path / "early_stop.json").read_text())
    assert [e["iter"] for e in record["history"]] == [5, 10, 15]
    assert record["stopped_at"] == 15 and record["best_iter"] == 5
    assert trainer.iter == 14  # the loop ended at the stop, not at MAX_ITER
    losses = [e["loss"] for e in record["history"]]
    final = validation_loss_of(tmp_path / "model_final.pth", cfg)
    assert final == pytest.approx(losses[0], rel=1e-4)
    assert abs(final - losses[2]) > 1e-3  # not the weights it stopped with
    best = torch.load(tmp_path / "model_best.pth", map_location="cpu")["model"]
    final_state = torch.load(tmp_path / "model_final.pth", map_location="cpu")["model"]
    assert all(torch.equal(best[k], final_state[k]) for k in best)
    assert Path(tmp_path / "last_checkpoint").read_text().strip() == "model_final.pth"


@pytest.mark.slow
def test_settings_that_cannot_stop_still_restore_and_a_resume_continues(toy_sets, tmp_path):
    from d2hands.engine.early_stopping import EarlyStopping

    common = ("HANDS.EARLY_STOP.ENABLED", "True", "HANDS.EARLY_STOP.PERIOD", 5,
              "HANDS.EARLY_STOP.PATIENCE", 9, "SOLVER.CHECKPOINT_PERIOD", 10)
    cfg, trainer = train(opts(toy_sets, tmp_path, "SOLVER.MAX_ITER", 20, *common))
    hook = next(h for h in trainer._hooks if isinstance(h, EarlyStopping))
    assert not hook.can_stop  # PERIOD x (PATIENCE + 1) > MAX_ITER: a warning, then it runs on
    first = json.loads((tmp_path / "early_stop.json").read_text())
    assert [e["iter"] for e in first["history"]] == [5, 10, 15, 20]
    best = min(first["history"], key=lambda e: e["loss"])
    assert first["best_iter"] == best["iter"]
    assert validation_loss_of(tmp_path / "model_final.pth", cfg) == pytest.approx(best["loss"],
                                                                                rel=1e-4)
    train(opts(toy_sets, tmp_path, "SOLVER.MAX_ITER", 30, *common), resume=True)
    resumed = json.loads((tmp_path / "early_stop.json").read_text())
    assert [e["iter"] for e in resumed["history"]] == [5, 10, 15, 20, 25, 30]
    assert resumed["history"][:4] == first["history"]


@pytest.mark.parametrize(("extra", "words"), [
    (("HANDS.EARLY_STOP.PERIOD", 500, "SOLVER.MAX_ITER", 100), "never be computed"),
    (("HANDS.EARLY_STOP.PATIENCE", 0), "PATIENCE >= 1"),
    (("HANDS.EARLY_STOP.DATASET", "toy_synth"), "also a training set"),
    (("HANDS.EARLY_STOP.DATASET", "nowhere"), "not registered"),
    (("DATASETS.TEST", "()"), "needs a validation set"),
])
def test_early_stopping_settings_that_cannot_work(toy_sets, tmp_path, extra, words):
    from d2hands.engine import build_cfg
    from d2hands.engine.early_stopping import early_stop_dataset
    from d2hands.errors import HandsError

    cfg = build_cfg(BASE, opts(toy_sets, tmp_path, "HANDS.EARLY_STOP.ENABLED", "True", *extra))
    with pytest.raises(HandsError, match=words):
        early_stop_dataset(cfg)


def test_mask_free_hands_are_refused(toy_sets, tmp_path):
    from detectron2.data import DatasetCatalog

    from d2hands.data import build_replicated_train_loader
    from d2hands.engine import build_cfg
    from d2hands.errors import HandsError

    if "boxes_only" not in DatasetCatalog.list():
        DatasetCatalog.register("boxes_only", lambda: [
            {"file_name": "x.png", "image_id": 1, "height": 96, "width": 128,
             "annotations": [{"bbox": [1, 1, 9, 9], "bbox_mode": 1, "category_id": 0}]}])
    cfg = build_cfg(BASE, opts(toy_sets, tmp_path, "DATASETS.TRAIN", '("boxes_only",)'))
    with pytest.raises(HandsError, match="learns from masks.*boxes_only"):
        build_replicated_train_loader(cfg)
