"""One image reader: the pixels OpenCV (or PIL) show for every kind of file people have."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from d2hands.data.image_checks import probe_image
from d2hands.data.image_io import ImageReadError, oriented_size, read_image

RNG = np.random.default_rng(0)


def noise(shape, dtype=np.uint8, top=255):
    return RNG.integers(0, top + 1, shape).astype(dtype)


def test_16_bit_files_read_as_opencv_reads_them(tmp_path):
    for name, array in (("gray16.png", noise((12, 16), np.uint16, 65535)),
                        ("rgb16.png", noise((12, 16, 3), np.uint16, 65535))):
        cv2.imwrite(str(tmp_path / name), array)
        expected = cv2.imread(str(tmp_path / name), cv2.IMREAD_COLOR)
        got = read_image(tmp_path / name, "BGR")
        assert got.dtype == np.uint8 and got.shape == expected.shape
        assert np.abs(got.astype(int) - expected).max() <= 1, name
        assert got.max() < 255 or expected.max() == 255  # not the all-white frame


def test_gray_rgba_palette_and_cmyk_give_the_pixels_pil_shows(tmp_path):
    rgb = noise((10, 14, 3))
    cases = {
        "gray.png": Image.fromarray(rgb[..., 0]),
        "rgba.png": Image.fromarray(np.dstack([rgb, noise((10, 14))])),
        "palette.png": Image.fromarray(rgb).quantize(16),
        "la.png": Image.fromarray(np.dstack([rgb[..., 0], noise((10, 14))]), "LA"),
    }
    for name, image in cases.items():
        image.save(tmp_path / name)
        shown = np.asarray(Image.open(tmp_path / name).convert("RGB"))  # what a viewer shows
        assert np.array_equal(read_image(tmp_path / name, "RGB"), shown), name
        bgr = cv2.imread(str(tmp_path / name), cv2.IMREAD_COLOR)
        assert np.abs(read_image(tmp_path / name, "BGR").astype(int) - bgr).max() <= 1, name
    cmyk = Image.fromarray(rgb).convert("CMYK")
    cmyk.save(tmp_path / "cmyk.jpg", quality=95)
    expected = np.asarray(Image.open(tmp_path / "cmyk.jpg").convert("RGB"))
    assert np.array_equal(read_image(tmp_path / "cmyk.jpg", "RGB"), expected)


def test_exif_orientation_is_applied_in_the_reader_and_the_validator(tmp_path):
    image = np.zeros((20, 40, 3), np.uint8)
    image[:, :10] = 255  # a white band on the left of the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(image).save(tmp_path / "rot.jpg", exif=exif, quality=100)
    shown = read_image(tmp_path / "rot.jpg", "BGR")
    assert shown.shape == (40, 20, 3)  # displayed upright: portrait
    assert shown[:10].mean() > 200 and shown[-10:].mean() < 50  # the band is now on top
    opencv = cv2.imread(str(tmp_path / "rot.jpg"), cv2.IMREAD_COLOR)  # applies EXIF too
    assert opencv.shape == shown.shape
    assert oriented_size(tmp_path / "rot.jpg") == (20, 40)
    assert probe_image(tmp_path / "rot.jpg") == ((20, 40), None)


def test_corrupted_image_data_is_refused_with_the_file_named(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(noise((64, 64, 3))).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[100:400] = bytes(300)  # inside the IDAT chunk; the end marker stays
    (tmp_path / "bad.png").write_bytes(bytes(data))
    size, problem = probe_image(tmp_path / "bad.png")
    assert size is None and problem.startswith("unreadable image")
    with pytest.raises(ImageReadError, match="bad.png"):
        read_image(tmp_path / "bad.png")
    with pytest.raises(ImageReadError, match="missing image file"):
        read_image(tmp_path / "absent.png")


def test_detectron2_loaders_use_the_reader(tmp_path):
    from detectron2.data import detection_utils

    import d2hands.data.coco_hands  # noqa: F401  (points detectron2 at the reader)

    cv2.imwrite(str(tmp_path / "g.png"), np.full((4, 5), 40000, np.uint16))
    image = detection_utils.read_image(str(tmp_path / "g.png"), format="BGR")
    assert image.shape == (4, 5, 3) and int(image.max()) == 40000 >> 8
