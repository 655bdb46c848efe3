"""keras_sfnet: SFNet (Semantic Flow for Fast and Accurate Scene Parsing) for Keras 3."""

from setuptools import find_packages, setup

setup(
    name="keras_sfnet",
    version="0.1.0",
    description="SFNet scene parsing for Keras 3 on TensorFlow, exact to the authors' network.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["keras_sfnet", "keras_sfnet.*"]),
    package_data={"keras_sfnet.kernels": ["*.cc", "*.h"]},
    include_package_data=True,
    python_requires=">=3.10",
    install_requires=[
        "tensorflow>=2.18",
        "keras>=3.8",
        "numpy>=1.26",
        "opencv-python-headless>=4.8",
        "tensorboard>=2.18",
    ],
    extras_require={
        "export": ["tf2onnx>=1.17", "onnx>=1.16", "onnxruntime>=1.18", "ai-edge-litert>=2.3"],
        "tensorrt": ["tensorrt", "cuda-python"],
        "torch": ["torch>=2.1"],
        "dev": [
            "pytest>=8",
            "ruff>=0.5",
            "tf2onnx>=1.17",
            "onnx>=1.16",
            "onnxruntime>=1.18",
            "ai-edge-litert>=2.3",
            "cityscapesscripts>=2.2",
        ],
    },
)
