"""The dataset registry: every name and alias works in every lookup by name."""

import os

import pytest

from keras_sfnet.data import PipelineConfig, get_dataset_info, list_files
from keras_sfnet.data.registry import dataset_names, get_dataset_spec
from keras_sfnet.training import TrainConfig, resolve_dataset

ALIASES = dataset_names(aliases=True)


def test_aliases_include_the_documented_ones():
    for alias in ("pascal_context59", "pascalcontext", "ade"):
        assert alias in ALIASES


@pytest.mark.parametrize("alias", ALIASES)
def test_every_alias_resolves_in_every_lookup(alias, tmp_path):
    spec = get_dataset_spec(alias)
    root = None if alias.startswith("mapillary") else str(tmp_path)
    assert get_dataset_info(alias, root) == get_dataset_info(spec.name, root)
    # The name resolves: what fails is the (missing) layout, not the name.
    with pytest.raises(FileNotFoundError):
        list_files(alias, str(tmp_path / "missing"), "train")
    if not alias.startswith("mapillary"):
        name, _, info = resolve_dataset(TrainConfig(dataset=alias, data_root=str(tmp_path)))
        assert name == spec.name and info == spec.dataset_info()


def test_pascal_context59_lists_files(tmp_path):
    for folder in ("JPEGImages", "SegmentationClassContext", "ImageSets/SegmentationContext"):
        os.makedirs(tmp_path / folder)
    (tmp_path / "JPEGImages" / "a.jpg").write_bytes(b"")
    (tmp_path / "SegmentationClassContext" / "a.png").write_bytes(b"")
    (tmp_path / "ImageSets" / "SegmentationContext" / "train.txt").write_text("a\n")
    assert list_files("pascal_context59", tmp_path, "train") == list_files(
        "pascal_context", tmp_path, "train"
    )


def test_unknown_name_reads_like_keras():
    with pytest.raises(ValueError, match="`name` must be one of .*Received: name='nope'"):
        get_dataset_info("nope")


def test_pipeline_config_resolves_and_rejects_unknown_options():
    config = PipelineConfig(batch_size=2, seed=0).resolve(training=True)
    assert (config.batch_size, config.epochs, config.shuffle, config.crop_size) == (
        2, -1, True, (1024, 1024),
    )
    assert PipelineConfig(seed=0).resolve(training=False).epochs == 1
    with pytest.raises(TypeError, match="Unknown pipeline option"):
        PipelineConfig.from_options(None, batch=2)
