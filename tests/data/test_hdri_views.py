"""Views of 360-degree HDR photos as backgrounds (d2hands.data.compositing.hdri_views)."""

import os

import cv2
import numpy as np
import pytest

from d2hands.data.compositing.hdri_views import (
    HDRIS,
    blender_hdri_dir,
    perspective_view,
    read_exr,
    tone_map,
    write_views,
)
from d2hands.errors import UsageError


def longitude_panorama(height=180):
    """An equirectangular image whose pixel (row, col) holds (col, row, 0) as floats."""
    cols, rows = np.meshgrid(np.arange(2 * height, dtype=np.float32),
                             np.arange(height, dtype=np.float32))
    return np.dstack([cols, rows, np.zeros_like(cols)])


@pytest.mark.parametrize("yaw, pitch", [(0.0, 0.0), (90.0, 0.0), (200.0, -30.0), (10.0, 45.0)])
def test_the_centre_of_a_view_looks_where_the_camera_points(yaw, pitch):
    pano = longitude_panorama()
    view = perspective_view(pano, yaw, pitch, fov=60.0, width=101, height=81)
    h, w = pano.shape[:2]
    # longitude 0 at the panorama's centre column, growing to the right; latitude +90 at row 0
    expected_col = ((yaw / 360.0 + 0.5) % 1.0) * w - 0.5
    expected_row = (0.5 - pitch / 180.0) * h - 0.5
    assert view[40, 50, 0] == pytest.approx(expected_col, abs=0.6)
    assert view[40, 50, 1] == pytest.approx(expected_row, abs=0.6)


def test_a_level_camera_sees_the_horizon_level_and_its_field_of_view_spans_the_columns():
    pano = longitude_panorama()
    view = perspective_view(pano, 0.0, 0.0, fov=90.0, width=201, height=101)
    assert np.allclose(view[50, :, 1], 89.5, atol=0.01)  # the middle row: latitude 0
    # the edge columns look 45 degrees left and right: 90 of 360 panorama columns apart
    assert view[50, -1, 0] - view[50, 0, 0] == pytest.approx(90.0 * 359 / 360, abs=1.0)


def test_tone_mapping_ignores_exposure_and_keeps_grey_grey():
    rng = np.random.default_rng(0)
    hdr = np.repeat(rng.uniform(0.01, 50.0, (20, 30, 1)).astype(np.float32), 3, axis=2)
    low, high = tone_map(hdr, 0.18), tone_map(hdr * 1000, 0.18)
    assert low.dtype == np.uint8 and np.abs(low.astype(int) - high).max() <= 1
    assert (low[..., 0] == low[..., 1]).all() and (low[..., 1] == low[..., 2]).all()
    brighter = hdr[..., 0] > np.percentile(hdr[..., 0], 60)
    assert low[..., 0][brighter].mean() > low[..., 0][~brighter].mean()


def write_fake_hdris(folder):
    os.environ["OPENCV_IO_ENABLE_OPENEXR"] = "1"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name in HDRIS:
        assert cv2.imwrite(str(folder / name), rng.uniform(0, 5, (32, 64, 3)).astype(np.float32))


def test_write_views_writes_seeded_views_of_every_hdri_and_their_licences(tmp_path):
    write_fake_hdris(tmp_path / "world")
    first = write_views(tmp_path / "world", tmp_path / "a", views=3, seed=4)
    again = write_views(tmp_path / "world", tmp_path / "b", views=3, seed=4)
    assert len(first) == 3 * len(HDRIS)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(
        [p.name for p in first] + ["LICENSES.md"])
    for a, b in zip(first, again, strict=True):
        image = cv2.imread(str(a))
        assert image.shape == (240, 320, 3)
        assert np.array_equal(image, cv2.imread(str(b)))
    licences = (tmp_path / "a" / "LICENSES.md").read_text()
    assert licences.count("CC0") >= len(HDRIS) and "polyhaven.com/a/hotel_room" in licences


def test_a_file_that_is_not_an_exr_is_a_clear_error(tmp_path):
    bad = tmp_path / "city.exr"
    bad.write_bytes(b"not an image")
    with pytest.raises(UsageError, match="cannot read"):
        read_exr(bad)


def test_blenders_own_hdris_are_found_in_the_installed_bpy():
    folder = blender_hdri_dir()
    assert sorted(p.name for p in folder.glob("*.exr")) == sorted(HDRIS)
    assert "CC0" in (folder / "license.txt").read_text()
