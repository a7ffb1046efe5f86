"""Fast drawing of predicted hands on video frames with detectron2's VideoVisualizer.

Stock ``VideoVisualizer.draw_instance_predictions`` renders a figure holding the whole frame: at
1280x720 most of its time goes into matplotlib resampling the frame image, and into bounding every
outline vertex of the masks (one per boundary pixel). :class:`HandsVideoVisualizer` keeps its
colour tracking (``_assign_colors``, stable colours across frames) and detectron2's
``Visualizer.overlay_instances`` for the masks and labels, but

- the figure holds only the overlays on a transparent canvas, blended onto the frame with numpy
  (the frame is never resampled), and
- mask outlines drop the points in the middle of straight runs (``CHAIN_APPROX_SIMPLE``; the
  filled polygon covers exactly the same pixels).

The picture matches the stock one to within anti-aliasing (tested).
"""

from __future__ import annotations

import cv2
import numpy as np
from detectron2.utils.video_visualizer import VideoVisualizer, _DetectedInstance
from detectron2.utils.visualizer import (
    ColorMode,
    GenericMask,
    VisImage,
    Visualizer,
    _create_text_labels,
)

MASK_ALPHA = 0.5  # VideoVisualizer's alpha in ColorMode.IMAGE


class OverlayImage(VisImage):
    """A VisImage whose figure holds only the drawn overlays; the frame is blended in at the end."""

    def reset_image(self, img):
        """Keep ``img`` as the base frame and set the axes to its pixel grid (no imshow)."""
        self.base = np.asarray(img, dtype=np.uint8)
        self.ax.set_xlim(0, self.width)
        self.ax.set_ylim(self.height, 0)

    def clear(self, img) -> None:
        """Remove the previous frame's overlays and take ``img`` as the new base frame."""
        for artist in [*self.ax.patches, *self.ax.texts, *self.ax.lines, *self.ax.collections]:
            artist.remove()
        self.base = np.asarray(img, dtype=np.uint8)

    def get_image(self) -> np.ndarray:
        """Return the frame (RGB uint8) with the overlays alpha-blended onto it."""
        self.canvas.draw()
        rgba = np.asarray(self.canvas.buffer_rgba())
        out = self.base.copy()
        alpha = rgba[..., 3]
        rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
        if rows.size == 0:
            return out
        region = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        a = alpha[region][..., None].astype(np.uint16)
        base = out[region].astype(np.uint16)
        # matplotlib's Agg buffer holds straight (not premultiplied) alpha.
        out[region] = ((rgba[region][..., :3] * a + base * (255 - a) + 127) // 255).astype(
            np.uint8)
        return out


class _SimpleOutlineMask(GenericMask):
    """GenericMask whose outlines keep only the corner points of each contour."""

    def mask_to_polygons(self, mask):
        contours, hierarchy = cv2.findContours(np.ascontiguousarray(mask, dtype=np.uint8),
                                               cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if hierarchy is None:
            return [], False
        has_holes = bool((hierarchy.reshape(-1, 4)[:, 3] >= 0).any())
        # Pixel indices to pixel centres, as detectron2 does; drop contours under 3 points.
        polygons = [c.reshape(-1).astype(np.float64) + 0.5 for c in contours if len(c) >= 3]
        return polygons, has_holes


class HandsVideoVisualizer(VideoVisualizer):
    """VideoVisualizer with the same colours and look, drawn without rendering the frame.

    One figure is kept per frame size and cleared between frames (building a matplotlib figure
    costs about as much as drawing two hands on it). Not thread-safe: one drawer per instance.
    """

    def __init__(self, metadata, instance_mode=ColorMode.IMAGE):
        super().__init__(metadata, instance_mode)
        self._cached_visualizer: Visualizer | None = None

    def _visualizer_for(self, frame: np.ndarray) -> Visualizer:
        cached = self._cached_visualizer
        if cached is None or cached.img.shape != frame.shape:
            cached = Visualizer(frame, self.metadata)
            cached.output = OverlayImage(cached.img)
            self._cached_visualizer = cached
        cached.img = np.asarray(frame, dtype=np.uint8)
        cached.output.clear(cached.img)
        return cached

    def assign_colors(self, predictions) -> list:
        """Stable colours for one frame's instances; call once per frame, in frame order."""
        if len(predictions) == 0:
            return []
        boxes = predictions.pred_boxes.tensor.numpy()
        classes = predictions.pred_classes.numpy()
        detected = [_DetectedInstance(classes[i], boxes[i], mask_rle=None, color=None, ttl=8)
                    for i in range(len(predictions))]
        return self._assign_colors(detected)

    def draw_with_colors(self, frame: np.ndarray, predictions, colors: list) -> np.ndarray:
        """Draw masks (or boxes when there are none) and labels; return the RGB image."""
        if len(predictions) == 0:
            return np.array(frame, dtype=np.uint8)
        visualizer = self._visualizer_for(frame)
        height, width = frame.shape[:2]
        labels = _create_text_labels(predictions.pred_classes.numpy(),
                                     predictions.scores if predictions.has("scores") else None,
                                     self.metadata.get("thing_classes", None))
        masks = None
        if predictions.has("pred_masks"):
            masks = [_SimpleOutlineMask(m, height, width)
                     for m in np.asarray(predictions.pred_masks, dtype=np.uint8)]
        visualizer.overlay_instances(
            boxes=None if masks is not None else predictions.pred_boxes.tensor.numpy(),
            masks=masks, labels=labels, assigned_colors=colors, alpha=MASK_ALPHA)
        return visualizer.output.get_image()

    def draw_instance_predictions(self, frame, predictions):
        """Drop-in for the stock method; returns a VisImage-like object with ``get_image()``."""
        image = self.draw_with_colors(frame, predictions, self.assign_colors(predictions))
        return _Drawn(image)


class _Drawn:
    def __init__(self, image: np.ndarray):
        self.image = image

    def get_image(self) -> np.ndarray:
        return self.image
