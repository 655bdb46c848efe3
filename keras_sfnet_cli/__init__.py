"""keras_sfnet's command-line tools (`sfnet-train`, `sfnet-predict`, ...).

A separate top-level package so that parsing the arguments (and `--help`) does not
import TensorFlow: importing anything under `keras_sfnet` imports TensorFlow, because
`import keras_sfnet` registers the Keras classes that `.keras` files need. Each tool
module has `build_parser()` (no TensorFlow), `run(args)` (imports the library, does
the work, raises on errors) and `main(argv)` (the console entry point, see
`keras_sfnet_cli.command.run_command`).
"""
