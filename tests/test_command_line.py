"""The command-line tools answer like tools: fast --help, one `error:` line, flags named."""

from __future__ import annotations

import argparse
import os
import pickle
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from keras_sfnet.parameter_message import Parameter, ParameterMessage
from keras_sfnet_cli import command, error_report
from keras_sfnet_cli import predict as predict_cli
from keras_sfnet_cli import train as train_cli

REPO = Path(__file__).resolve().parents[1]
TOOLS = ("train", "evaluate", "predict", "export", "convert_checkpoint", "benchmark",
         "run_demo", "build_kernels")  # fmt: skip
CLI_MODULES = ("train", "evaluate", "predict", "export", "convert", "benchmark", "demo",
               "build_kernels")  # fmt: skip
# TensorFlow's C++ start-up lines that the tools hide by default.
NOISE = ("oneDNN", "cuda drivers", "cpu_feature_guard", "cuInit", "absl::InitializeLog")
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")


def _tool(name: str, *args: str, cwd=None, env=None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_SFNET_DEBUG"}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the tools' own default applies
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
    )
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, str(REPO / "tools" / f"{name}.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=600,
    )


def _error_line(result: subprocess.CompletedProcess) -> str:
    """The first stderr line that is not a log record (train and the demo log at INFO)."""
    assert "Traceback" not in result.stderr, result.stderr
    for noise in NOISE:
        assert noise not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if not LOG_RECORD.match(line)]
    assert lines, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    (root / "corrupt.keras").write_bytes(b"PK\x03\x04 truncated")

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    (root / "evil.pth").write_bytes(pickle.dumps(Evil()))
    import cv2

    cv2.imwrite(str(root / "street.png"), np.full((8, 8, 3), 90, np.uint8))
    (root / "a_file").write_text("not a folder")
    (root / "empty").mkdir()
    return root


def test_help_answers_without_tensorflow():
    code = (
        "import sys, importlib\n"
        f"for name in {CLI_MODULES!r}:\n"
        "    importlib.import_module('keras_sfnet_cli.' + name).build_parser().format_help()\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'keras_sfnet') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_help_of_every_tool(capsys):
    timings = {}
    for name in TOOLS:
        start = time.perf_counter()
        result = _tool(name, "--help")
        timings[name] = time.perf_counter() - start
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("usage:") and "--debug" in result.stdout
        assert "default: None" not in result.stdout and result.stderr == ""
    with capsys.disabled():  # reported, not asserted: the machine is shared
        print("\n--help seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))


def test_train_help_shows_the_real_defaults():
    text = train_cli.build_parser().format_help()
    assert "(default: 16)" in text and "(default: 1024 1024)" in text
    assert "(default: ohem)" in text and "(default: 0.01)" in text


def test_cli_and_library_share_one_vocabulary():
    from keras_sfnet import names
    from keras_sfnet.backbones import BACKBONES
    from keras_sfnet.models import decoder_switches
    from keras_sfnet.training import TrainConfig, train_config
    from keras_sfnet.training.demo import DEMO_SETTINGS
    from keras_sfnet_cli import argument_types
    from keras_sfnet_cli import demo as demo_cli

    defaults = TrainConfig(data_root="x")
    for field, value in train_cli.CONFIG_DEFAULTS.items():
        assert getattr(defaults, field) == value, field
    assert demo_cli.DEMO_STEPS == DEMO_SETTINGS["steps"]
    # The CLI and the library import the same objects from keras_sfnet.names.
    for name in ("DATASETS", "LOSSES", "AUGMENTATIONS", "MIXED_PRECISION", "DISTRIBUTIONS"):
        assert getattr(train_cli, name) is getattr(train_config, name) is getattr(names, name)
    for name in ("DECODERS", "CONTEXT_HEADS", "UPSAMPLINGS", "FLOW_ESTIMATORS", "ALIGNMENTS",
                 "FINAL_FUSIONS", "BACKBONES", "STEMS"):  # fmt: skip
        assert getattr(train_cli, name) is getattr(names, name), name
    assert argument_types.DATASET_INFOS is names.DATASET_INFOS
    # The registries hold exactly the vocabulary's names.
    assert tuple(BACKBONES) == names.BACKBONES
    assert tuple(decoder_switches.DEFAULT_SWITCHES) == names.DECODER_SWITCHES
    assert set(train_cli._SWITCH_FLAGS) == set(names.DECODER_SWITCHES)


def test_train_ablation_flags_make_decoder_options(tmp_path):
    config_file = tmp_path / "row.json"
    config_file.write_text(
        '{"dataset": "synthetic", "data_root": "d", "decoder_options": {"context": "aspp"}}'
    )
    args = train_cli.build_parser().parse_args(
        ["--config", str(config_file), "--fam-levels", "p4,P5", "--flow-kernel-size", "5",
         "--no-dilated"]
    )  # fmt: skip
    config = train_cli.config_from_args(args)
    assert config.decoder_options == {
        "context": "aspp", "fam_levels": ["P4", "P5"], "flow_kernel_size": 5
    }  # fmt: skip
    assert config.dilated is False
    args = train_cli.build_parser().parse_args(
        ["--dataset", "synthetic", "--decoder", "fpn", "--fam-levels", "none"]
    )
    assert train_cli.config_from_args(args).decoder_options == {"decoder": "fpn", "fam_levels": []}
    result = _tool("train", "--decoder", "unet")
    assert result.returncode == 2 and "--decoder" in result.stderr and "aligned_fpn" in result.stderr


def test_train_user_errors(files, capsys):
    result = _tool("train", "--fresh", "--resume")
    assert result.returncode == 2
    assert (
        _error_line(result) == "error: --fresh starts over and --resume continues: pass one of them"
    )
    result = _tool("train", "--dataset", "camvid", "--data-root", files, "--batch-size", "0")
    assert result.returncode == 2  # before TensorFlow loads
    assert _error_line(result) == "error: --batch-size must be >= 1 (got 0)"
    argv = ["--dataset", "camvid", "--data-root", str(files / "empty"), "--steps", "1",
            "--output", str(files / "run")]  # fmt: skip
    assert train_cli.main(argv) == 1  # in this process: TensorFlow is loaded already
    assert capsys.readouterr().err.startswith("error: Split folder not found:")


def test_train_and_predict_errors_before_tensorflow(files, tmp_path):
    """Names, choices, files and sizes are checked before TensorFlow loads."""
    code = (
        "import sys\n"
        "from keras_sfnet_cli import train, predict\n"
        "codes = [train.main(sys.argv[1:5]), predict.main(sys.argv[5:])]\n"
        "print(codes, 'tensorflow' in sys.modules)\n"
    )
    argv = ["--backbone", "resnet81", "--dataset", "synthetic",
            "--model", str(tmp_path), "--input", str(tmp_path / "nope.png"), "--output", str(tmp_path)]  # fmt: skip
    (tmp_path / "config.json").write_text("{}")  # a preset folder, for the --model check
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "[2, 2] False", result.stdout + result.stderr
    assert "argument --backbone: invalid choice: 'resnet81'" in result.stderr
    assert f"error: --input '{tmp_path / 'nope.png'}' does not exist" in result.stderr
    with pytest.raises(SystemExit):
        predict_cli.build_parser().parse_args(
            ["--model", str(tmp_path), "--input", "x", "--output", "o", "--dataset", "citiscapes"]
        )
    assert time.perf_counter() - start < 20  # (no TensorFlow: about a second)
    for argv, message in (
        (["--init-from", str(tmp_path / "missing.keras")], "--init-from '"),
        (["--dataset", "folder", "--data-root", str(files)], "--dataset folder needs --num-classes"),
        (["--dataset", "camvid", "--data-root", str(tmp_path / "nope")], "is not a folder"),
        (["--crop-size", "0", "64"], "--crop-size must be >= 1 (got 0 64)"),
        (["--dataset", "folder", "--data-root", str(files), "--num-classes", "3",
          "--class-names", "a,b"], "--class-names gives 2 names for --num-classes 3"),
    ):  # fmt: skip
        with pytest.raises(train_cli.UsageError, match=re.escape(message)):
            train_cli.check(train_cli.build_parser().parse_args(argv))


def test_resume_message_names_the_flags(files, monkeypatch, capsys):
    def refuse(config):
        from keras_sfnet.training.trainer import _check_resume

        _check_resume(config, config.output, {"step": 40})

    monkeypatch.setattr("keras_sfnet.training.train", refuse)
    argv = ["--dataset", "synthetic", "--output", str(files / "run"), "--verbose", "0"]
    assert train_cli.main(argv) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error == (
        f"error: '{files / 'run'}' already holds a checkpoint (step 40). Pass `--resume` to "
        "continue it, or start over with `--fresh` or a new output folder."
    )
    with pytest.raises(FileExistsError, match=r"Pass `resume=True`.*`clear_run\(output\)`"):
        train_cli.run(train_cli.build_parser().parse_args(argv))


def test_evaluate_user_errors(files):
    result = _tool("evaluate", "--model", files / "nope.keras", "--data-root", files)
    assert result.returncode == 2
    assert (
        _error_line(result) == f"error: argument --model: '{files / 'nope.keras'}' does not exist"
    )
    result = _tool("evaluate", "--model", files / "corrupt.keras", "--data-root", files / "empty",
                   "--dataset", "camvid")  # fmt: skip
    assert result.returncode == 1  # the data is checked before the model loads
    assert _error_line(result).startswith(f"error: Split folder not found: '{files / 'empty'}")


def test_evaluate_writes_beside_the_model_by_default():
    from keras_sfnet_cli.evaluate import default_output

    assert default_output("runs/demo/model.keras", "camvid", "val") == os.path.join(
        "runs/demo", "model_camvid_val.json"
    )
    assert default_output("m.keras", "camvid", "val") == "m_camvid_val.json"


def test_predict_user_errors(files, tmp_path, capsys):
    from keras_sfnet_cli import predict

    image = files / "street.png"
    result = _tool("predict", "--model", files / "evil.pth", "--input", image, "--output", tmp_path)
    assert result.returncode == 1
    assert _error_line(result) == (
        f"error: '{files / 'evil.pth'}' is not a PyTorch checkpoint "
        "(neither a zip archive nor a legacy torch pickle)"
    )
    argv = ["--model", str(files / "corrupt.keras"), "--input", str(image), "--output",
            str(tmp_path)]  # fmt: skip
    assert predict.main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: '{files / 'corrupt.keras'}' is not a valid .keras file")
    assert "File not found" not in error


def test_export_checks_the_output_before_the_model(files):
    # The model file is corrupt: an error about the output proves it was not loaded.
    args = ["--model", files / "corrupt.keras", "--format", "tflite"]
    result = _tool("export", *args, "--output", files / "a_file" / "m.tflite")
    assert result.returncode == 1
    assert _error_line(result) == (
        f"error: Cannot create '{files / 'a_file' / 'm.tflite'}': "
        f"'{files / 'a_file'}' is a file, not a folder."
    )
    result = _tool("export", *args, "--output", files / "m.onnx", "--format", "onnx",
                   "--quantization", "int8")  # fmt: skip
    assert result.returncode == 2
    assert _error_line(result) == "error: --format onnx supports --quantization none; got int8"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_export_into_a_read_only_folder_fails_first(files, tmp_path):
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    read_only.chmod(0o555)
    result = _tool("export", "--model", files / "corrupt.keras", "--format", "tflite",
                   "--output", read_only / "m.tflite")  # fmt: skip
    assert result.returncode == 1
    assert _error_line(result).startswith(f"error: Cannot write '{read_only / 'm.tflite'}'")


def test_export_tensorrt_availability_comes_first(files):
    from keras_sfnet.export import tensorrt_status

    if tensorrt_status()["available"]:
        pytest.skip("TensorRT is installed here: the refusal cannot be shown")
    result = _tool("export", "--model", files / "corrupt.keras", "--format", "tensorrt",
                   "--output", files / "m.engine")  # fmt: skip
    assert result.returncode == 1
    line = _error_line(result)
    assert line.startswith("error: TensorRT export needs TensorRT") and "input_size" not in line


def test_convert_user_errors(files, tmp_path):
    result = _tool("convert_checkpoint", files / "evil.pth", "--output", tmp_path / "m")
    assert result.returncode == 1
    assert _error_line(result).startswith(f"error: '{files / 'evil.pth'}' is not a PyTorch")
    result = _tool("convert_checkpoint", files / "nope.pth", "--output", tmp_path / "m")
    assert result.returncode == 2
    assert (
        _error_line(result) == f"error: argument checkpoint: '{files / 'nope.pth'}' does not exist"
    )


def test_convert_checkpoints_of_the_wrong_type(tmp_path, capsys):
    torch = pytest.importorskip("torch", reason="torch writes the crafted checkpoints")
    from keras_sfnet_cli import convert

    torch.save([1, 2], tmp_path / "list.pth")
    torch.save({"state_dict": {"conv.weight": "a string"}}, tmp_path / "string.pth")
    for name, message in (
        ("list.pth", "error: expected a checkpoint mapping, got list"),
        ("string.pth", "error: checkpoint['state_dict']['conv.weight'] is a str, not a tensor"),
    ):
        assert convert.main([str(tmp_path / name), "--output", str(tmp_path / "m")]) == 1
        assert capsys.readouterr().err.startswith(message)


def test_benchmark_demo_and_kernels_user_errors(files, capsys):
    from keras_sfnet_cli import demo

    result = _tool("benchmark", "--runtimes", "bogus", "--no-train", "--no-pipeline", "--no-warp")
    assert result.returncode == 1
    assert _error_line(result).startswith("error: `runtimes` must be a subset of")
    assert demo.main(["--steps", "0", "--output", str(files / "demo")]) == 1
    assert capsys.readouterr().err == (
        "error: `--steps` must be an integer >= 1. Received: --steps 0\n"
    )
    result = _tool("run_demo", "--output", files / "a_file" / "demo")
    assert result.returncode == 1
    assert _error_line(result).startswith(f"error: Cannot create '{files / 'a_file' / 'demo'}'")
    result = _tool("build_kernels", "--cpu-only", "--cuda")
    assert result.returncode == 2
    assert _error_line(result).startswith("error: argument --cuda: not allowed with")


def test_debug_shows_the_traceback(files, tmp_path, monkeypatch):
    args = ["--model", files / "corrupt.keras", "--input", files / "street.png",
            "--output", tmp_path]  # fmt: skip
    result = _tool("predict", *args, env={"KERAS_SFNET_DEBUG": "1"})
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "is not a valid .keras file" in result.stderr

    def fail(args):
        raise FileNotFoundError("gone")

    with pytest.raises(FileNotFoundError, match="gone"):
        command.run_command(_parser(), fail, ["--debug"])
    monkeypatch.setenv("KERAS_SFNET_DEBUG", "0")
    assert command.run_command(_parser(), fail, []) == 1


def _parser() -> argparse.ArgumentParser:
    parser = command.new_parser("test")
    parser.add_argument("--input-size", nargs=2, type=int, metavar=("H", "W"))
    parser.add_argument("--keep-rejected", action="store_true")
    parser.add_argument("--max-miou-drop", type=float, default=0.1)
    parser.add_argument("--lr", type=float)
    return parser


def test_messages_name_flags_not_keywords(capsys):
    message = ParameterMessage(
        "pass ", Parameter("input_size", "(H, W)"), " or ", Parameter("keep_rejected", "True"),
        "; ", Parameter("learning_rate", "0.5", code=False), ", ", Parameter("other", "1"),
    )  # fmt: skip
    assert str(message) == (
        "pass `input_size=(H, W)` or `keep_rejected=True`; learning_rate=0.5, `other=1`"
    )

    def fail(args):
        raise ValueError(message)

    assert command.run_command(_parser(), fail, [], aliases={"learning_rate": "lr"}) == 1
    assert capsys.readouterr().err == (
        "error: pass `--input-size H W` or `--keep-rejected`; --lr 0.5, `other=1`\n"
    )


def test_export_refusal_names_max_miou_drop():
    from keras_sfnet.export.parity import ExportParityError, ParityCheck, run_parity

    weights = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)

    def reference(x):
        return x @ weights

    def shifted(x):  # another class at about a third of the pixels
        logits = reference(x)
        return np.where(logits[..., :1] > 0.3, logits[..., ::-1], logits)

    check = ParityCheck(min_agreement=0.0, max_miou_drop=0.01)
    with pytest.raises(ExportParityError) as info:
        run_parity("fake", "int8", reference, shifted, check, [(32, 48)])
    assert info.value.report.failed_limit == "max_miou_drop"
    assert "the limit set by `max_miou_drop`" in str(info.value)
    assert "pass `keep_rejected=True`" in str(info.value)
    text = error_report.error_message(info.value, _parser())
    assert "the limit set by `--max-miou-drop`" in text and "pass `--keep-rejected`" in text


def test_bugs_keep_their_traceback():
    def bug(args):
        np.zeros(3).reshape(2, 2)  # a ValueError raised by NumPy, not by a check of ours

    with pytest.raises(ValueError, match="reshape"):
        command.run_command(_parser(), bug, [])
    assert error_report.is_user_error(PermissionError(13, "Permission denied", "x"))
    try:
        np.zeros(3).reshape(2, 2)
    except ValueError as error:
        assert not error_report.is_user_error(error)


def test_quiet_tensorflow_import():
    code = (
        "from keras_sfnet_cli.tensorflow_startup import import_tensorflow\n"
        "import_tensorflow(quiet=True)\n"
        "import tensorflow as tf\n"
        "print(tf.constant(2).numpy())\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=environment
    )
    assert result.returncode == 0 and result.stdout.strip() == "2"
    assert result.stderr == "", result.stderr


def test_log_records_start_their_own_line_on_a_terminal():
    import io
    import logging

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    record = logging.LogRecord("keras_sfnet", logging.INFO, "x.py", 1, "Saved", None, None)
    for stream, prefix in ((Terminal(), "\r\x1b[K"), (io.StringIO(), "")):
        handler = command.TerminalLogHandler(stream)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        handler.emit(record)
        assert stream.getvalue() == f"{prefix}INFO Saved\n"


def test_check_writable(tmp_path, monkeypatch):
    from keras_sfnet_cli.output_checks import check_writable

    check_writable(tmp_path / "new" / "deeper" / "m.tflite")  # missing folders are created later
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        check_writable(tmp_path / "file" / "m.tflite")
    with pytest.raises(NotADirectoryError, match="exists and is not a folder"):
        check_writable(tmp_path / "file", directory=True)
    # What a read-only folder answers (root may write anywhere, so os.access stands in).
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(PermissionError, match=r"folder '.*' is not writable"):
        check_writable(tmp_path / "m.tflite")
    with pytest.raises(PermissionError, match="permission denied"):
        check_writable(tmp_path / "file")
