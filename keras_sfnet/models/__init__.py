"""Segmentation models."""

from keras_sfnet.models.sfnet import SFNet

__all__ = ["SFNet"]
