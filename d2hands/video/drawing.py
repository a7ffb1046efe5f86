"""Fast drawing of predicted hands on video frames with detectron2's VideoVisualizer.

Stock ``VideoVisualizer.draw_instance_predictions`` builds a new figure per frame, shows the frame
with ``imshow`` (matplotlib resamples all of it on every draw) and bounds every outline vertex of
the masks (one per boundary pixel) as each polygon is added. :class:`HandsVideoVisualizer` keeps
its colour tracking (``_assign_colors``, stable colours across frames) and detectron2's
``Visualizer.overlay_instances`` for the masks and labels, but

- one figure is reused per frame size; the frame is copied straight into its Agg pixel buffer and
  the overlays are rendered on top of it (no resampling, Agg does the alpha blending),
- its axes have fixed limits, so adding a polygon does not bound its vertices,
- mask outlines drop the points in the middle of straight runs (``CHAIN_APPROX_SIMPLE``; the
  filled polygon covers exactly the same pixels), and the label position (the median of the
  mask's pixels) scans only the box around the mask.

The picture matches the stock one to within anti-aliasing (tested). Frames can be given in BGR
(``bgr=True``) so that OpenCV frames need no channel-reversed copies.
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
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MASK_ALPHA = 0.5  # VideoVisualizer's alpha in ColorMode.IMAGE


class _FixedLimitsAxes(Axes):
    """Axes whose limits are set once: adding an artist skips bounding its vertices."""

    def _update_patch_limits(self, patch):
        pass

    def _update_line_limits(self, line):
        pass


class FrameCanvasImage(VisImage):
    """A VisImage whose Agg pixel buffer starts as the frame; overlays are rendered onto it."""

    def __init__(self, img, bgr: bool = False):
        self.bgr = bgr
        super().__init__(img)

    def _setup_figure(self, img):
        self.fig = Figure(frameon=False)
        self.dpi = self.fig.get_dpi()
        # The 1e-2 keeps matplotlib from truncating the size to one pixel less (matplotlib#15363).
        self.fig.set_size_inches((self.width + 1e-2) / self.dpi, (self.height + 1e-2) / self.dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0), axes_class=_FixedLimitsAxes)
        self.ax.axis("off")
        self.ax.set_xlim(0, self.width)
        self.ax.set_ylim(self.height, 0)
        self.reset_image(img)

    def reset_image(self, img):
        """Take ``img`` (uint8, RGB or BGR as set) as the frame under the overlays (no imshow)."""
        self.base = np.asarray(img, dtype=np.uint8)

    def clear(self, img) -> None:
        """Remove the previous frame's overlays and take ``img`` as the new frame."""
        for artist in [*self.ax.patches, *self.ax.texts, *self.ax.lines, *self.ax.collections]:
            artist.remove()
        self.reset_image(img)

    def get_image(self) -> np.ndarray:
        """Return the frame with the overlays drawn, uint8, in the frame's channel order."""
        renderer = self.canvas.get_renderer()
        pixels = np.asarray(renderer.buffer_rgba())
        np.copyto(pixels, cv2.cvtColor(self.base, cv2.COLOR_BGR2RGBA if self.bgr
                                       else cv2.COLOR_RGB2RGBA))
        self.fig.draw(renderer)  # unlike canvas.draw(), does not clear the buffer first
        return cv2.cvtColor(pixels, cv2.COLOR_RGBA2BGR if self.bgr else cv2.COLOR_RGBA2RGB)


class _BoxedMask(np.ndarray):
    """A binary mask that knows the box holding its pixels; ``nonzero()`` scans only that box.

    detectron2 puts each label at the median of ``mask.nonzero()``: on a 1280x720 frame the scan
    of the whole frame for one hand's pixels costs more than drawing the hand.
    """

    box: tuple[int, int, int, int] | None = None

    def __array_finalize__(self, obj):
        self.box = None  # views and computed arrays do not inherit the box

    def nonzero(self):
        if self.box is None:
            return np.asarray(self).nonzero()
        x, y, width, height = self.box
        rows, cols = np.asarray(self)[y:y + height, x:x + width].nonzero()
        return rows + y, cols + x


class _SimpleOutlineMask(GenericMask):
    """GenericMask whose outlines keep only the corner points and whose pixels are boxed."""

    def __init__(self, mask: np.ndarray, height: int, width: int):
        super().__init__(mask, height, width)
        boxed = self._mask.view(_BoxedMask)
        boxed.box = cv2.boundingRect(self._mask)
        self._mask = boxed

    def area(self):
        x, y, width, height = self._mask.box
        return np.asarray(self._mask)[y:y + height, x:x + width].sum()

    def mask_to_polygons(self, mask):
        contours, hierarchy = cv2.findContours(np.ascontiguousarray(mask, dtype=np.uint8),
                                               cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if hierarchy is None:
            return [], False
        has_holes = bool((hierarchy.reshape(-1, 4)[:, 3] >= 0).any())
        # detectron2 keeps outlines of 3+ points. A 2-point simple outline A-B is a straight run
        # of pixels, whose full outline has 3+ points from 3 pixels on: keep it as A-B-midpoint
        # (the same stroke; pycocotools would take a 2-point polygon for a box).
        kept = [c if len(c) >= 3 else np.concatenate([c, (c[:1] + c[1:]) // 2]) for c in contours
                if len(c) >= 3 or (len(c) == 2 and np.abs(c[0] - c[1]).max() >= 2)]
        # Pixel indices to pixel centres, as detectron2 does.
        polygons = [c.reshape(-1).astype(np.float64) + 0.5 for c in kept]
        return polygons, has_holes


class HandsVideoVisualizer(VideoVisualizer):
    """VideoVisualizer with the same colours and look, drawn without resampling the frame.

    One figure is kept per frame size and channel order, and cleared between frames (building a
    matplotlib figure costs about as much as drawing two hands on it). Not thread-safe: one drawer
    per instance.
    """

    def __init__(self, metadata, instance_mode=ColorMode.IMAGE):
        super().__init__(metadata, instance_mode)
        self._cached_visualizer: Visualizer | None = None

    def _visualizer_for(self, frame: np.ndarray, bgr: bool) -> Visualizer:
        cached = self._cached_visualizer
        if cached is None or cached.img.shape != frame.shape or cached.output.bgr != bgr:
            cached = Visualizer(frame, self.metadata)
            cached.output = FrameCanvasImage(cached.img, bgr=bgr)
            self._cached_visualizer = cached
        # overlay_instances never reads the pixels in ColorMode.IMAGE, so BGR does no harm here.
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

    def draw_with_colors(self, frame: np.ndarray, predictions, colors: list,
                         bgr: bool = False) -> np.ndarray:
        """Draw masks (or boxes when there are none) and labels on a copy of ``frame``.

        Args:
            frame: HxWx3 uint8 image, RGB (or BGR with ``bgr=True``).
            predictions: detectron2 ``Instances`` on the CPU.
            colors: from :meth:`assign_colors` for the same predictions.
            bgr: frame and result are in OpenCV's BGR order.

        Returns:
            The drawn image, same size and channel order as ``frame``.
        """
        if len(predictions) == 0:
            return np.array(frame, dtype=np.uint8)
        visualizer = self._visualizer_for(frame, bgr)
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

    def draw(self, frame: np.ndarray, predictions, bgr: bool = False) -> np.ndarray:
        """Assign this frame's colours and draw; frames must come in order (see assign_colors)."""
        return self.draw_with_colors(frame, predictions, self.assign_colors(predictions), bgr)

    def draw_instance_predictions(self, frame, predictions):
        """Drop-in for the stock method (RGB frame); returns an object with ``get_image()``."""
        return _Drawn(self.draw(frame, predictions))


class _Drawn:
    def __init__(self, image: np.ndarray):
        self.image = image

    def get_image(self) -> np.ndarray:
        return self.image
