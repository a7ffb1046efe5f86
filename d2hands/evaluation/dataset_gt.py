"""The COCO ground truth of a registered detectron2 dataset, with its category id mapping."""

from __future__ import annotations

from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.structures import BoxMode

from ..data.errors import DatasetError
from .ground_truth import GroundTruth, load_ground_truth


def category_mapping(dataset_name: str) -> dict[int, int]:
    """Map the model's contiguous class ids back to the dataset's category ids.

    The mapping comes from the metadata's ``thing_dataset_id_to_contiguous_id``, which
    d2hands' and detectron2's COCO loaders set when the dataset is first loaded (it is loaded
    here if needed). Datasets without one use their contiguous ids as category ids.

    Args:
        dataset_name: A registered dataset.

    Returns:
        ``{contiguous_id: dataset_category_id}``.

    """
    meta = MetadataCatalog.get(dataset_name)
    forward = meta.get("thing_dataset_id_to_contiguous_id")
    if forward is None:
        DatasetCatalog.get(dataset_name)  # loading fills the metadata in
        forward = meta.get("thing_dataset_id_to_contiguous_id")
    if forward is None:
        classes = meta.get("thing_classes") or ["hand"]
        return {i: i for i in range(len(classes))}
    return {contiguous: dataset_id for dataset_id, contiguous in forward.items()}


def _coco_from_dicts(dataset_name: str, to_dataset_id: dict[int, int]) -> dict:
    records = DatasetCatalog.get(dataset_name)
    classes = MetadataCatalog.get(dataset_name).get("thing_classes") or ["hand"]
    images, annotations = [], []
    for record in records:
        images.append({"id": record["image_id"], "file_name": record["file_name"],
                       "height": record["height"], "width": record["width"]})
        for ann in record.get("annotations", []):
            if "segmentation" not in ann:
                raise DatasetError(
                    f"dataset {dataset_name}: image {record['file_name']} has an annotation "
                    "without a mask; hand evaluation needs masks")
            box = BoxMode.convert(list(ann["bbox"]), ann["bbox_mode"], BoxMode.XYWH_ABS)
            annotations.append({
                "id": len(annotations) + 1, "image_id": record["image_id"],
                "category_id": to_dataset_id.get(ann["category_id"], ann["category_id"]),
                "segmentation": ann["segmentation"], "bbox": [float(v) for v in box],
                "iscrowd": int(ann.get("iscrowd", 0)),
            })
    categories = [{"id": to_dataset_id.get(i, i), "name": name} for i, name in enumerate(classes)]
    return {"images": images, "annotations": annotations, "categories": categories}


def dataset_ground_truth(dataset_name: str) -> GroundTruth:
    """Load the ground truth a registered dataset is evaluated against.

    The metadata's ``json_file`` (set by ``register_hands_dataset`` and detectron2's
    ``register_coco_instances``) is used when present, so the image ids, file names and
    category ids are those of the COCO file. Otherwise the ground truth is built from the
    dataset dicts (category ids mapped back through ``category_mapping``).

    Args:
        dataset_name: A registered dataset.

    Returns:
        The validated ground truth.

    Raises:
        DatasetError: If the annotations cannot be used (e.g. an annotation without a mask).

    """
    json_file = MetadataCatalog.get(dataset_name).get("json_file")
    if json_file:
        return load_ground_truth(json_file)
    return load_ground_truth(_coco_from_dicts(dataset_name, category_mapping(dataset_name)))
