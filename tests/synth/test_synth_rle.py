"""Our numpy RLE / PNG / TGA code against pycocotools and OpenCV."""

import struct

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from synth import imageio, rle


def _random_masks():
    rng = np.random.default_rng(0)
    yield np.zeros((7, 5), bool)
    yield np.ones((4, 9), bool)
    for _ in range(30):
        h, w = rng.integers(1, 60, 2)
        yield rng.random((h, w)) < rng.uniform(0.05, 0.95)
    for _ in range(10):  # blob-like masks with long runs
        h, w = rng.integers(20, 200, 2)
        yy, xx = np.mgrid[:h, :w]
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(2, 80)
        yield (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    big = np.zeros((720, 1280), bool)
    big[100:400, 600:700] = True
    big[399, :] = True
    yield big


@pytest.mark.parametrize("compressed", [False, True])
def test_rle_matches_pycocotools(compressed):
    for m in _random_masks():
        ref = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
        ours = rle.encode(m, compressed=compressed)
        assert ours["size"] == [m.shape[0], m.shape[1]]
        if compressed:
            assert ours["counts"] == ref["counts"].decode("ascii")
            obj = dict(ours, counts=ours["counts"].encode("ascii"))
        else:
            obj = mask_utils.frPyObjects(ours, *m.shape)
        assert np.array_equal(mask_utils.decode(obj).astype(bool), m)
        assert rle.mask_area(m) == int(mask_utils.area(ref))
        assert rle.mask_bbox(m) == mask_utils.toBbox(ref).tolist()
        assert np.array_equal(rle.decode(ours), m)


def test_png_writer_read_by_opencv(tmp_path):
    rng = np.random.default_rng(1)
    for shape in [(33, 17, 3), (20, 40, 4), (9, 11)]:
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        path = str(tmp_path / "x.png")
        imageio.write_png(path, img, level=1)
        back = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if img.ndim == 3:
            back = cv2.cvtColor(back, cv2.COLOR_BGR2RGB if shape[2] == 3 else cv2.COLOR_BGRA2RGBA)
        assert np.array_equal(back, img)
        assert np.array_equal(imageio.read_png(path), img)
    assert not list(tmp_path.glob(".tmp-*"))


@pytest.mark.parametrize("top_origin", [False, True])
def test_tga_reader(tmp_path, top_origin):
    rng = np.random.default_rng(2)
    rgba = rng.integers(0, 256, (5, 7, 4), dtype=np.uint8)
    rows = rgba if top_origin else rgba[::-1]
    header = struct.pack("<BBBHHBHHHHBB", 0, 0, 2, 0, 0, 0, 0, 0, 7, 5, 32,
                         0x28 if top_origin else 0x08)
    path = tmp_path / "x.tga"
    path.write_bytes(header + rows[..., [2, 1, 0, 3]].tobytes())
    assert np.array_equal(imageio.read_tga(str(path)), rgba)


def test_composite_over_white_and_background():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[1, 1] = (10, 20, 30, 255)
    rgba[2, 2] = (100, 100, 100, 128)
    out = imageio.composite(rgba, None)
    assert (out[0, 0] == 255).all() and out[1, 1].tolist() == [10, 20, 30]
    assert out[2, 2].tolist() == [177, 177, 177]  # (100*128 + 255*127) / 255
    bg = np.full((4, 4, 3), 7, np.uint8)
    assert imageio.composite(rgba, bg)[0, 0].tolist() == [7, 7, 7]
