"""Tests for the torch-free PyTorch checkpoint reader.

Checkpoints are built two ways: by hand from pickle opcodes (no torch needed, so these
run everywhere), and with `torch.save` in both formats (skipped without torch) to check
that our arrays equal what torch itself loads.
"""

import argparse
import json
import pickle
import re
import struct
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_sfnet.convert.torch_checkpoint import (
    ALLOWED_GLOBALS,
    CheckpointError,
    UnsafeCheckpointError,
    extract_state_dict,
    load_torch_checkpoint,
    read_state_dict,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
GOLDEN = SHARED / "reference" / "golden_sfnet_r18_fp16.pth"
MANIFEST = SHARED / "reference" / "official_state_dict_manifest.json"

# --------------------------------------------------------------------------------------
# A tiny protocol-2 pickle writer, so that checkpoints (and malicious pickles) can be
# built without torch and without defining, importing or running anything they name.


@dataclass
class Global:
    module: str
    name: str


@dataclass
class Call:
    func: Any
    args: tuple


@dataclass
class PersistentId:
    fields: tuple


@dataclass
class Build:
    target: Any
    state: Any


@dataclass
class Put:
    """`obj`, then stored in memo slot `slot` (BINPUT)."""

    obj: Any
    slot: int


@dataclass
class Get:
    """The object in memo slot `slot` again (BINGET): a reference, not a copy."""

    slot: int


@dataclass
class Raw:
    """Opcodes written as they are."""

    ops: bytes


def _emit(obj: Any) -> bytes:
    if isinstance(obj, Put):
        return _emit(obj.obj) + b"q" + bytes([obj.slot])
    if isinstance(obj, Get):
        return b"h" + bytes([obj.slot])
    if isinstance(obj, Raw):
        return obj.ops
    if isinstance(obj, Global):
        return b"c" + f"{obj.module}\n{obj.name}\n".encode()
    if isinstance(obj, Call):
        return _emit(obj.func) + _emit(tuple(obj.args)) + b"R"
    if isinstance(obj, PersistentId):
        return _emit(tuple(obj.fields)) + b"Q"
    if isinstance(obj, Build):
        return _emit(obj.target) + _emit(obj.state) + b"b"
    if isinstance(obj, dict):
        return b"}(" + b"".join(_emit(k) + _emit(v) for k, v in obj.items()) + b"u"
    if isinstance(obj, list):
        return b"](" + b"".join(_emit(v) for v in obj) + b"e"
    if isinstance(obj, tuple):
        return b"(" + b"".join(_emit(v) for v in obj) + b"t"
    return pickle.dumps(obj, protocol=2)[2:-1]  # a self-contained leaf


def _pickle(obj: Any) -> bytes:
    return b"\x80\x02" + _emit(obj) + b"."


def _tensor(storage_type, key, numel, offset, size, stride, view=None, legacy=False):
    fields = ("storage", Global("torch", storage_type), key, "cpu", numel)
    if legacy:
        fields += (view,)
    return Call(
        Global("torch._utils", "_rebuild_tensor_v2"),
        (
            PersistentId(fields),
            offset,
            tuple(size),
            tuple(stride),
            False,
            Call(Global("collections", "OrderedDict"), ()),
        ),
    )


def _write_zip(path, obj, storages, byteorder="little", pickle_bytes=None):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle_bytes or _pickle(obj))
        archive.writestr("archive/byteorder", byteorder)
        for key, data in storages.items():
            archive.writestr(f"archive/data/{key}", data)
        archive.writestr("archive/version", "3\n")
    return path


def _write_legacy(path, obj, storages, pickle_bytes=None):
    """`storages` maps key -> (element count, raw bytes)."""
    sys_info = {
        "protocol_version": 1001,
        "little_endian": True,
        "type_sizes": {"short": 2, "int": 4, "long": 4},
    }
    parts = [
        pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2),
        pickle.dumps(1001, protocol=2),
        pickle.dumps(sys_info, protocol=2),
        pickle_bytes or _pickle(obj),
        pickle.dumps(sorted(storages), protocol=2),
    ]
    for key in sorted(storages):
        count, data = storages[key]
        parts.append(struct.pack("<q", count) + data)
    Path(path).write_bytes(b"".join(parts))
    return path


BASE = np.arange(12, dtype=np.float32) * 1.5 - 4.0


def _strided_checkpoint(legacy=False):
    """A float32 storage viewed five ways, and one tensor per other dtype."""
    halves = np.array([1.0, -2.5, 65504.0, np.inf], dtype=np.float16)
    bf16_values = np.array([1.0, -3.140625, 1e30, np.nan], dtype=np.float32)
    bf16_bits = (bf16_values.view(np.uint32) >> 16).astype("<u2")
    bf16_values = (bf16_bits.astype(np.uint32) << 16).view(np.float32)  # 1e30 rounds
    longs = np.array([-(2**40), 0, 7], dtype="<i8")
    bools = np.array([True, False, True])
    t = lambda *args: _tensor(*args, legacy=legacy)  # noqa: E731
    obj = {
        "state_dict": {
            "full": t("FloatStorage", "0", 12, 0, (3, 4), (4, 1)),
            "transposed": t("FloatStorage", "0", 12, 0, (4, 3), (1, 4)),
            "offset_row": t("FloatStorage", "0", 12, 5, (3,), (1,)),
            "every_other": t("FloatStorage", "0", 12, 1, (2, 2), (4, 2)),
            "broadcast": t("FloatStorage", "0", 12, 3, (2, 3), (0, 1)),
            "empty": t("FloatStorage", "0", 12, 12, (0, 4), (4, 1)),
            "scalar": t("FloatStorage", "0", 12, 11, (), ()),
            "half": t("HalfStorage", "1", 4, 0, (2, 2), (1, 2)),
            "bf16": t("BFloat16Storage", "2", 4, 0, (4,), (1,)),
            "long": t("LongStorage", "3", 3, 0, (3,), (1,)),
            "bool": t("BoolStorage", "4", 3, 0, (3,), (1,)),
        },
        "epoch": 3,
        "mean_iu": np.float64(0.78125),
        "command": "train.py --arch resnet18",
    }
    raw = {
        "0": BASE.astype("<f4").tobytes(),
        "1": halves.astype("<f2").tobytes(),
        "2": bf16_bits.tobytes(),
        "3": longs.tobytes(),
        "4": bools.tobytes(),
    }
    grid = BASE.reshape(3, 4)
    expected = {
        "full": grid,
        "transposed": grid.T,
        "offset_row": BASE[5:8],
        "every_other": grid[:2, 1::2],
        "broadcast": np.broadcast_to(BASE[3:6], (2, 3)),
        "empty": np.zeros((0, 4), np.float32),
        "scalar": np.array(BASE[11]),
        "half": halves.reshape(2, 2).T,
        "bf16": bf16_values,
        "long": longs,
        "bool": bools,
    }
    sizes = {"0": 12, "1": 4, "2": 4, "3": 3, "4": 3}
    storages = {k: (sizes[k], v) for k, v in raw.items()} if legacy else raw
    return obj, storages, expected


def _assert_arrays_equal(actual, expected):
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape
    assert actual.flags.c_contiguous and actual.flags.owndata
    np.testing.assert_array_equal(actual, expected)


# --------------------------------------------------------------------------------------
# Torch-free tests.


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_hand_built_checkpoint_dtypes_offsets_and_strides(tmp_path, legacy):
    obj, storages, expected = _strided_checkpoint(legacy)
    writer = _write_legacy if legacy else _write_zip
    path = writer(tmp_path / "model.pth", obj, storages)
    loaded = load_torch_checkpoint(path)
    assert loaded["epoch"] == 3
    assert loaded["command"] == "train.py --arch resnet18"
    assert loaded["mean_iu"] == 0.78125 and isinstance(loaded["mean_iu"], np.float64)
    for name, array in expected.items():
        _assert_arrays_equal(loaded["state_dict"][name], array)


def test_big_endian_zip(tmp_path):
    values = np.array([[1.5, -2.0], [3.25, 1e-3]], dtype=np.float64)
    obj = {"w": _tensor("DoubleStorage", "0", 4, 0, (2, 2), (2, 1))}
    path = _write_zip(
        tmp_path / "be.pth", obj, {"0": values.astype(">f8").tobytes()}, byteorder="big"
    )
    _assert_arrays_equal(load_torch_checkpoint(path)["w"], values)


def test_legacy_storage_view(tmp_path):
    # torch < 1.6 could save a tensor on a slice of a storage: (view_key, offset, numel).
    obj = {"v": _tensor("FloatStorage", "root", 12, 1, (2,), (2,), ("view", 4, 6), True)}
    path = _write_legacy(tmp_path / "view.pth", obj, {"root": (12, BASE.tobytes())})
    _assert_arrays_equal(load_torch_checkpoint(path)["v"], BASE[[5, 7]])


def test_namespace_and_containers(tmp_path):
    obj = {
        "args": argparse.Namespace(lr=0.01, arch="resnet18", crop=[768, 768]),
        "tags": {"a", "b"},
        "blob": b"\x00\x01\xff",
        "pair": (1, 2.5, None, True),
    }
    loaded = load_torch_checkpoint(_write_zip(tmp_path / "ns.pth", obj, {}))
    assert vars(loaded["args"]) == {"lr": 0.01, "arch": "resnet18", "crop": [768, 768]}
    assert loaded["tags"] == {"a", "b"}
    assert loaded["blob"] == b"\x00\x01\xff"
    assert loaded["pair"] == (1, 2.5, None, True)


class _Exploit:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > /tmp/keras_sfnet_pwned",))


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_malicious_global_is_refused(tmp_path, legacy):
    payload = {"state_dict": {}, "epoch": _Exploit()}
    data = pickle.dumps(payload, protocol=2)  # pickled, never unpickled here
    writer = _write_legacy if legacy else _write_zip
    path = writer(tmp_path / "evil.pth", None, {}, pickle_bytes=data)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_torch_checkpoint(path)
    message = str(info.value)
    assert f"'{_Exploit().__reduce__()[0].__module__}.system'" in message
    assert str(path) in message and "only tensors and plain containers" in message


@pytest.mark.parametrize(
    "module, name",
    [
        ("os", "system"),
        ("builtins", "eval"),
        ("builtins", "getattr"),
        ("torch.nn.modules.conv", "Conv2d"),
        ("torch.storage", "_load_from_bytes"),
        ("subprocess", "Popen"),
    ],
)
def test_refused_globals_are_named(tmp_path, module, name):
    data = _pickle({"x": Call(Global(module, name), ("echo pwned",))})
    path = _write_zip(tmp_path / "evil.pth", None, {}, pickle_bytes=data)
    with pytest.raises(UnsafeCheckpointError, match=f"refusing to load '{module}.{name}'"):
        load_torch_checkpoint(path)


def test_allowed_functions_cannot_be_modified(tmp_path):
    rebuild = Global("torch._utils", "_rebuild_tensor_v2")
    data = _pickle({"x": Build(rebuild, (None, {"func": None}))})
    path = _write_zip(tmp_path / "poison.pth", None, {}, pickle_bytes=data)
    with pytest.raises(CheckpointError):
        load_torch_checkpoint(path)
    obj, storages, expected = _strided_checkpoint()
    good = load_torch_checkpoint(_write_zip(tmp_path / "good.pth", obj, storages))
    _assert_arrays_equal(good["state_dict"]["transposed"], expected["transposed"])


def test_non_storage_persistent_id_is_refused(tmp_path):
    data = _pickle({"net": PersistentId(("module", Global("torch", "FloatStorage"), "", ""))})
    path = _write_legacy(tmp_path / "module.pth", None, {}, pickle_bytes=data)
    with pytest.raises(UnsafeCheckpointError, match="only tensor storages"):
        load_torch_checkpoint(path)


def test_allow_list_is_small_and_explicit():
    assert "torch._utils._rebuild_tensor_v2" in ALLOWED_GLOBALS
    assert "collections.OrderedDict" in ALLOWED_GLOBALS
    assert not any(n.startswith(("os.", "posix.", "subprocess.")) for n in ALLOWED_GLOBALS)
    assert {"builtins.eval", "builtins.getattr", "builtins.__import__"}.isdisjoint(ALLOWED_GLOBALS)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_torch_checkpoint(tmp_path / "absent.pth")


def test_random_bytes_are_not_a_checkpoint(tmp_path):
    path = tmp_path / "noise.pth"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(CheckpointError, match="neither a zip archive nor a legacy torch"):
        load_torch_checkpoint(path)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="is not a PyTorch checkpoint"):
        load_torch_checkpoint(text)


def test_truncated_zip(tmp_path):
    obj, storages, _ = _strided_checkpoint()
    data = _write_zip(tmp_path / "whole.pth", obj, storages).read_bytes()
    path = tmp_path / "cut.pth"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated zip archive"):
        load_torch_checkpoint(path)


def test_truncated_legacy(tmp_path):
    obj, storages, _ = _strided_checkpoint(legacy=True)
    data = _write_legacy(tmp_path / "whole.pth", obj, storages).read_bytes()
    path = tmp_path / "cut.pth"
    for cut in (len(data) - 10, len(data) // 3):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="truncated"):
            load_torch_checkpoint(path)


def test_missing_storage_record(tmp_path):
    obj, storages, _ = _strided_checkpoint()
    del storages["3"]
    path = _write_zip(tmp_path / "hole.pth", obj, storages)
    with pytest.raises(CheckpointError, match="missing storage record 'archive/data/3'"):
        load_torch_checkpoint(path)


def test_short_storage_record(tmp_path):
    obj, storages, _ = _strided_checkpoint()
    storages["0"] = storages["0"][:20]
    with pytest.raises(CheckpointError, match="fewer than the 48"):
        load_torch_checkpoint(_write_zip(tmp_path / "short.pth", obj, storages))


@pytest.mark.parametrize(
    "offset, size, stride",
    [(10, (3,), (1,)), (0, (3, 4), (5, 1)), (13, (0,), (1,)), (-1, (2,), (1,))],
)
def test_out_of_bounds_views_are_refused(tmp_path, offset, size, stride):
    obj = {"w": _tensor("FloatStorage", "0", 12, offset, size, stride)}
    path = _write_zip(tmp_path / "oob.pth", obj, {"0": BASE.tobytes()})
    with pytest.raises(CheckpointError, match="past the end|invalid offset"):
        load_torch_checkpoint(path)


def test_extract_state_dict_normalizes():
    checkpoint = {
        "state_dict": {
            "module.conv.weight": np.ones((2, 1), np.float16),
            "module.bn.running_var": np.ones(2, np.float64),
            "module.bn.num_batches_tracked": np.array(7, np.int64),
            "module.index": np.arange(3, dtype=np.int64),
            "head.module.bias": np.zeros(2, np.float32),
        },
        "optimizer": {"state": {}, "param_groups": []},
        "epoch": 10,
    }
    weights = extract_state_dict(checkpoint)
    assert list(weights) == ["conv.weight", "bn.running_var", "index", "head.module.bias"]
    assert weights["conv.weight"].dtype == np.float32
    assert weights["bn.running_var"].dtype == np.float32
    assert weights["index"].dtype == np.int64
    assert extract_state_dict({"model": {"a": np.ones(1)}})["a"].dtype == np.float32
    assert list(extract_state_dict({"module.a": np.ones(1)})) == ["a"]


def test_extract_state_dict_errors():
    with pytest.raises(ValueError, match="no state dict found"):
        extract_state_dict({"epoch": 3, "mean_iu": 0.5})
    with pytest.raises(ValueError, match="has both"):
        extract_state_dict({"module.a": np.ones(1), "a": np.ones(1)})
    with pytest.raises(TypeError, match="not a tensor"):
        extract_state_dict({"state_dict": {"a": "text"}})


def test_read_state_dict_from_hand_built_file(tmp_path):
    obj, storages, expected = _strided_checkpoint()
    obj["state_dict"] = {f"module.{k}": v for k, v in obj["state_dict"].items()}
    weights = read_state_dict(_write_zip(tmp_path / "m.pth", obj, storages))
    assert list(weights) == list(expected)
    np.testing.assert_array_equal(weights["half"], expected["half"].astype(np.float32))
    assert weights["half"].dtype == np.float32 and weights["bool"].dtype == np.bool_


@pytest.mark.skipif(not GOLDEN.exists(), reason="needs ../shared/reference (golden checkpoint)")
def test_golden_checkpoint_matches_manifest():
    checkpoint = load_torch_checkpoint(GOLDEN)
    assert set(checkpoint) >= {"state_dict"}
    weights = extract_state_dict(checkpoint)
    manifest = json.loads(MANIFEST.read_text())["resnet-18-deep"]["state_dict"]
    expected = {k: tuple(s) for k, s in manifest if not k.endswith("num_batches_tracked")}
    assert {k: v.shape for k, v in weights.items()} == expected
    assert all(v.dtype == np.float32 for v in weights.values())


# --------------------------------------------------------------------------------------
# Against torch itself (torch only creates and loads the reference files).


def _assert_same(ours: Any, theirs: Any, where: str = "checkpoint") -> None:
    torch = sys.modules["torch"]
    if isinstance(theirs, torch.Tensor):
        if theirs.dtype == torch.bfloat16:
            theirs = theirs.float()
        expected = theirs.detach().numpy()
        assert isinstance(ours, np.ndarray), where
        assert ours.dtype == expected.dtype and ours.shape == expected.shape, where
        assert np.array_equal(ours, expected, equal_nan=ours.dtype.kind == "f"), where
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), where
        for key in theirs:
            _assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, list | tuple):
        assert isinstance(ours, type(theirs) if type(theirs) in (list, tuple) else tuple)
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, argparse.Namespace):
        _assert_same(vars(ours), vars(theirs), where)
    else:
        assert type(ours) is type(theirs) and ours == theirs, where


def _torch_checkpoint():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Conv2d(4, 2, 1)
    )
    model = torch.nn.DataParallel(net)  # keys get the `module.` prefix
    sgd = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    adam = torch.optim.Adam(net.parameters(), lr=1e-3)
    for optimizer in (sgd, adam):
        net(torch.randn(2, 3, 8, 8)).square().mean().backward()
        optimizer.step()
    grid = torch.arange(20, dtype=torch.float32).reshape(4, 5)
    grid[0, 0] = float("nan")
    grid[0, 1] = float("-inf")
    views = {
        "grid": grid,
        "row": grid[2],
        "column": grid[:, 3],
        "transposed": grid.t(),
        "strided": grid[::2, 1::2],
        "expanded": grid[1, :3].expand(4, 3),
        "half_t": grid.half().t(),
        "bf16_view": grid.to(torch.bfloat16)[1:, ::2],
        "double": grid.double()[1:3],
    }
    for dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8):
        views[str(dtype)] = torch.arange(-3, 9).to(dtype).reshape(3, 4).t()
    views["bool"] = (torch.arange(6) % 2 == 0).reshape(2, 3)[:, 1:]
    return {
        "state_dict": model.state_dict(),
        "optimizer": sgd.state_dict(),
        "adam": adam.state_dict(),
        "views": views,
        "parameter": torch.nn.Parameter(torch.ones(2, 2)),
        "epoch": 42,
        "mean_iu": np.float64(0.7734375),
        "command": "python train.py --arch network.sfnet_resnet.DeepR18_SF_deeply",
        "args": argparse.Namespace(lr=0.01, crop_size=[1024, 1024], arch="r18"),
        "size": torch.Size([3, 4]),
    }


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_matches_torch_load(tmp_path, legacy):
    torch = pytest.importorskip("torch")
    checkpoint = _torch_checkpoint()
    path = tmp_path / "torch.pth"
    torch.save(checkpoint, path, _use_new_zipfile_serialization=not legacy)
    assert zipfile.is_zipfile(path) is not legacy
    reference = torch.load(path, weights_only=False)  # our own file: trusted
    ours = load_torch_checkpoint(path)
    _assert_same(ours, reference)
    weights = read_state_dict(path)
    expected = {
        k.removeprefix("module."): v.float().numpy()
        for k, v in reference["state_dict"].items()
        if not k.endswith("num_batches_tracked")
    }
    assert list(weights) == list(expected)
    for key, value in expected.items():
        _assert_arrays_equal(weights[key], value)


@pytest.mark.skipif(not GOLDEN.exists(), reason="needs ../shared/reference (golden checkpoint)")
def test_golden_checkpoint_matches_torch_load():
    torch = pytest.importorskip("torch")
    reference = torch.load(GOLDEN, weights_only=True)
    ours = load_torch_checkpoint(GOLDEN)
    _assert_same(ours, reference)
    weights = read_state_dict(GOLDEN)
    state = reference["state_dict"]
    assert all(k.startswith("module.") for k in state)
    assert {t.dtype for t in state.values() if t.is_floating_point()} == {torch.float16}
    kept = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert len(weights) == len(kept)
    for key, tensor in kept.items():
        array = weights[key.removeprefix("module.")]
        assert array.dtype == np.float32
        assert np.array_equal(array, tensor.float().numpy()), key


# --------------------------------------------------------------------------------------
# Crafted files that try to make the reader allocate far more than they hold. Each is
# loaded in a child process (the reader alone, without TensorFlow) whose peak resident
# memory is measured; an address-space limit there turns a regression into a quick
# MemoryError instead of swapping the machine.

_MODULE = Path(__file__).resolve().parents[1] / "keras_sfnet" / "weights" / "torch_checkpoint.py"
_MIB = 1 << 20

_CHILD = r"""
import importlib.util, json, resource, sys

spec = importlib.util.spec_from_file_location("torch_checkpoint", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)


def status(field):
    try:
        with open("/proc/self/status") as lines:
            for line in lines:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:  # not Linux: the peak from getrusage, no address-space limit
        return None


def max_rss():
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


if status("VmSize") is not None:
    limit = status("VmSize") + int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM to the current resident size
except OSError:
    pass
base = status("VmRSS") or max_rss()
try:
    result = module.load_torch_checkpoint(sys.argv[2])
    error = None
except module.CheckpointError as exc:
    result, error = None, str(exc)
except MemoryError:
    result, error = None, "MemoryError"
peak = (status("VmHWM") or max_rss()) - base
print(json.dumps({"error": error, "peak": peak, "kind": type(result).__name__}))
"""


def _load_in_child(path: Path) -> tuple[str | None, int]:
    """Loads `path` in a fresh process: (CheckpointError message or None, peak RSS growth)."""
    import subprocess

    run = subprocess.run(
        [sys.executable, "-c", _CHILD, str(_MODULE), str(path), str(2 << 30)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    return report["error"], report["peak"]


def _assert_bounded(path: Path, *patterns: str) -> str | None:
    """Loads `path` in a child; the peak must stay under 2x its size + 256 MiB."""
    error, peak = _load_in_child(path)
    size = path.stat().st_size
    assert peak < 2 * size + 256 * _MIB, f"{path.name}: peak {peak / _MIB:.0f} MiB"
    assert error != "MemoryError", f"{path.name}: raw MemoryError"
    for pattern in patterns:
        assert error is not None and re.search(pattern, error), (pattern, error)
    if patterns:
        assert str(path) in error
    return error


def _zeros_deflated(nbytes: int) -> tuple[bytes, int]:
    """Raw deflate data of `nbytes` zero bytes (a multiple of 16 MiB) and their CRC-32.

    After a full flush the compressor starts afresh, so one compressed 16 MiB
    segment repeated is a valid stream: a bomb built in milliseconds.
    """
    chunk = bytes(16 * _MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = nbytes // len(chunk)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    return segment * count + compressor.flush(), crc


def _write_raw_zip(path: Path, records: dict[str, tuple[bytes, int, int, int]]) -> Path:
    """A zip from pre-made records: name -> (data, method, crc, uncompressed size)."""
    body, directory = b"", b""
    for name, (data, method, crc, size) in records.items():
        encoded = name.encode()
        offset = len(body)
        body += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 33, crc, len(data), size,
            len(encoded), 0,
        ) + encoded + data  # fmt: skip
        directory += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 33, crc, len(data), size,
            len(encoded), 0, 0, 0, 0, 0, offset,
        ) + encoded  # fmt: skip
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(records), len(records), len(directory), len(body), 0
    )
    path.write_bytes(body + directory + end)
    return path


def _stored(data: bytes) -> tuple[bytes, int, int, int]:
    return data, zipfile.ZIP_STORED, zlib.crc32(data), len(data)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize(
    "numel, size, stride",
    [(1, (60000, 60000), (0, 0)), (119999, (60000, 60000), (1, 1))],
    ids=["stride0", "overlapping"],
)
def test_repeating_views_are_refused_beyond_the_budget(tmp_path, legacy, numel, size, stride):
    view = ("view", 0, numel) if legacy else None
    obj = {"w": _tensor("FloatStorage", "0", numel, 0, size, stride, view, legacy)}
    raw = np.zeros(numel, np.float32).tobytes()
    if legacy:
        path = _write_legacy(tmp_path / "expand.pth", obj, {"0": (numel, raw)})
    else:
        path = _write_zip(tmp_path / "expand.pth", obj, {"0": raw})
    _assert_bounded(path, r"declares a float32 tensor of shape \(60000, 60000\)", r"13\.4 GiB")
    # A small broadcast stays a (copied) array, as torch.load gives it.
    obj = {"w": _tensor("FloatStorage", "0", numel, 0, (300, 300), stride, view, legacy)}
    writer = _write_legacy if legacy else _write_zip
    small = writer(tmp_path / "small.pth", obj, {"0": (numel, raw)} if legacy else {"0": raw})
    assert load_torch_checkpoint(small)["w"].shape == (300, 300)


def test_torch_expanded_tensor_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "e.pth"
    torch.save({"w": torch.zeros(1).expand(60000, 60000)}, path)
    assert path.stat().st_size < 4096
    _assert_bounded(path, r"13\.4 GiB", r"but the file holds \d+(\.\d)? (bytes|KiB)")
    with pytest.raises(CheckpointError, match="max_bytes"):
        load_torch_checkpoint(path)


def test_zip_bomb_storage_is_not_read_whole(tmp_path):
    bomb, crc = _zeros_deflated(512 * _MIB)  # 512 MiB of zeros in ~0.5 MB
    record = (bomb, zipfile.ZIP_DEFLATED, crc, 512 * _MIB)
    data_pkl = lambda numel: _pickle(  # noqa: E731
        {f"t{k}": _tensor("FloatStorage", str(k), numel, 0, (4,), (1,)) for k in range(2)}
    )
    # The pickle declares the records' full 512 MiB: refused before reading.
    path = _write_raw_zip(
        tmp_path / "bomb.pth",
        {"archive/data.pkl": _stored(data_pkl(128 * _MIB)), "archive/data/0": record,
         "archive/data/1": record},
    )  # fmt: skip
    _assert_bounded(path, r"declares float32 data in 'archive/data/0' \(512 MiB\)")
    # It declares 4 elements: only their 16 bytes are inflated.
    path = _write_raw_zip(
        tmp_path / "honest.pth",
        {"archive/data.pkl": _stored(data_pkl(4)), "archive/data/0": record,
         "archive/data/1": record},
    )  # fmt: skip
    assert _assert_bounded(path) is None
    np.testing.assert_array_equal(load_torch_checkpoint(path)["t1"], np.zeros(4, np.float32))
    # The pickle itself as a bomb.
    path = _write_raw_zip(tmp_path / "pickle_bomb.pth", {"archive/data.pkl": record})
    _assert_bounded(path, r"declares a pickle 'archive/data.pkl' \(512 MiB\)")


def test_zip_record_larger_than_the_file_is_refused(tmp_path):
    # A directory that claims more than the deflated data could ever expand to.
    small = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = small.compress(bytes(64)) + small.flush()
    obj = {"w": _tensor("FloatStorage", "0", 1 << 28, 0, (4,), (1,))}
    path = _write_raw_zip(
        tmp_path / "liar.pth",
        {"archive/data.pkl": _stored(_pickle(obj)),
         "archive/data/0": (data, zipfile.ZIP_DEFLATED, zlib.crc32(bytes(64)), 1 << 30)},
    )  # fmt: skip
    _assert_bounded(path, r"declares 1 GiB of float32 in 'archive/data/0' but the file holds")


_BIG = 1 << 20  # bytes of the one object the amplifying pickles copy again and again


def _repeat(setup: Any, call: Any, times: int) -> bytes:
    """A pickle holding `setup` in memo slot 255, then a list of `times` `call`s."""
    return _pickle([Put(setup, 255), *[call] * times])


_BOMB_PICKLES = {
    "set_range": _pickle(Call(Global("builtins", "set"), (Call(Global("builtins", "range"), (10**10,)),))),
    "frozenset_range": _pickle(
        Call(Global("builtins", "frozenset"), (Call(Global("builtins", "range"), (10**10,)),))
    ),
    "size_range": _pickle(Call(Global("torch", "Size"), (Call(Global("builtins", "range"), (10**10,)),))),
    "bytes_range": _pickle(Call(Global("builtins", "bytes"), (Call(Global("builtins", "range"), (10**10,)),))),
    "bytearray_copies": _repeat(
        Raw(b"B" + struct.pack("<I", _BIG) + bytes(_BIG)),
        Call(Global("builtins", "bytearray"), (Get(255),)),
        3000,
    ),
    "set_copies": _repeat(list(range(_BIG // 8)), Call(Global("builtins", "set"), (Get(255),)), 3000),
    "ordereddict_attribute_copies": _repeat(
        {f"k{i}": 0 for i in range(_BIG // 16)},
        Build(Call(Global("collections", "OrderedDict"), ()), Get(255)),
        3000,
    ),
    "namespace_copies": _repeat(
        {f"k{i}": 0 for i in range(_BIG // 16)},
        Build(Call(Global("argparse", "Namespace"), ()), Get(255)),
        3000,
    ),
    "numpy_array_copies": _repeat(
        (1, (_BIG,), Call(Global("numpy", "dtype"), ("u1", False, True)), False,
         Raw(b"B" + struct.pack("<I", _BIG) + bytes(_BIG))),
        Build(
            Call(Global("numpy.core.multiarray", "_reconstruct"),
                 (Global("numpy", "ndarray"), (0,), b"b")),
            Get(255),
        ),
        3000,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(_BOMB_PICKLES))
def test_allowed_globals_do_not_combine_into_bombs(tmp_path, name):
    path = _write_zip(tmp_path / f"{name}.pth", None, {}, pickle_bytes=_BOMB_PICKLES[name])
    assert path.stat().st_size < 4 * _MIB
    _assert_bounded(path, r"more than max_bytes=\d+")


def test_small_containers_still_load(tmp_path):
    obj = {
        "ids": Call(Global("builtins", "set"), (Call(Global("builtins", "range"), (5,)),)),
        "size": Call(Global("torch", "Size"), ([3, 4],)),
        "blob": Call(Global("builtins", "bytearray"), (b"\x00\x01",)),
        "args": Build(Call(Global("argparse", "Namespace"), ()), {"lr": 0.01}),
        "meta": Build(Call(Global("collections", "OrderedDict"), ()), {"_metadata": {}}),
    }
    path = _write_zip(tmp_path / "small.pth", None, {}, pickle_bytes=_pickle(obj))
    loaded = load_torch_checkpoint(path)
    assert loaded["ids"] == {0, 1, 2, 3, 4} and loaded["size"] == (3, 4)
    assert loaded["blob"] == bytearray(b"\x00\x01") and vars(loaded["args"]) == {"lr": 0.01}
    assert loaded["meta"] == {} and loaded["meta"]._metadata == {}
    with pytest.raises(CheckpointError, match="max_bytes=10"):
        load_torch_checkpoint(path, max_bytes=10)


def test_legacy_declared_terabyte_is_refused(tmp_path):
    numel = 1 << 38  # 1 TiB of float32
    obj = {"w": _tensor("FloatStorage", "0", numel, 0, (4,), (1,), None, legacy=True)}
    path = _write_legacy(tmp_path / "huge.pth", obj, {"0": (numel, bytes(16))})
    _assert_bounded(path, r"declares 1 TiB of float32 for storage '0' but the file holds \d+ bytes")


def test_many_storages_load_in_linear_time(tmp_path):
    count = 40_000
    obj = {f"t{i}": _tensor("FloatStorage", str(i), 8, 0, (8,), (1,)) for i in range(count)}
    raw = {str(i): np.full(8, i, np.float32).tobytes() for i in range(count)}
    path = _write_zip(tmp_path / "many.pth", obj, raw)
    start = time.perf_counter()
    loaded = load_torch_checkpoint(path)
    elapsed = time.perf_counter() - start
    assert len(loaded) == count and loaded["t39999"][0] == 39999
    assert elapsed < 20, f"{count} storages took {elapsed:.1f} s (quadratic lookup?)"


def test_max_bytes_is_validated(tmp_path):
    obj, storages, _ = _strided_checkpoint()
    path = _write_zip(tmp_path / "model.pth", obj, storages)
    with pytest.raises(ValueError, match="`max_bytes` must be a non-negative int"):
        load_torch_checkpoint(path, max_bytes=-1)
    with pytest.raises(CheckpointError, match=r"max_bytes=100 \(100 bytes\)"):
        read_state_dict(path, max_bytes=100)


def test_storage_declared_larger_by_a_later_tensor_is_read_again(tmp_path):
    obj = {
        "head": _tensor("FloatStorage", "0", 4, 0, (4,), (1,)),
        "all": _tensor("FloatStorage", "0", 12, 0, (12,), (1,)),
    }
    loaded = load_torch_checkpoint(_write_zip(tmp_path / "grow.pth", obj, {"0": BASE.tobytes()}))
    _assert_arrays_equal(loaded["head"], BASE[:4])
    _assert_arrays_equal(loaded["all"], BASE)
