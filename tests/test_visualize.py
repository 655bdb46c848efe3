"""Tests for keras_sfnet.visualize (numpy/cv2 only)."""

import cv2
import numpy as np
import pytest

from keras_sfnet.visualize import (
    CITYSCAPES_CLASS_NAMES,
    CITYSCAPES_PALETTE,
    colorize,
    error_map,
    flow_panel,
    flow_to_arrows,
    flow_to_color,
    legend,
    make_color_wheel,
    overlay,
    panel_grid,
    prediction_figure,
    titled_panel,
)


def _unit(angle_degrees, radius=1.0):
    a = np.deg2rad(angle_degrees)
    return np.array([[[radius * np.cos(a), radius * np.sin(a)]]])


def test_color_wheel_layout():
    wheel = make_color_wheel()
    assert wheel.shape == (55, 3)
    # Segment starts: red, yellow, green, cyan, blue, magenta.
    starts = {
        0: (255, 0, 0),
        15: (255, 255, 0),
        21: (0, 255, 0),
        25: (0, 255, 255),
        36: (0, 0, 255),
        49: (255, 0, 255),
    }
    for index, rgb in starts.items():
        np.testing.assert_array_equal(wheel[index], rgb)
    np.testing.assert_array_equal(wheel[1], (255, np.floor(255 / 15), 0))


def test_known_directions_at_full_magnitude():
    flow = np.concatenate([_unit(0), _unit(90), _unit(180), _unit(270)], axis=1)
    flow = np.round(flow, 12)
    rgb = flow_to_color(flow, max_magnitude=1.0)
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 4, 3)
    np.testing.assert_array_equal(rgb[0, 0], (255, 0, 0))  # right: red
    np.testing.assert_array_equal(rgb[0, 1], (255, 229, 0))  # down: yellow
    np.testing.assert_array_equal(rgb[0, 2], (0, 209, 255))  # left: cyan-blue
    np.testing.assert_array_equal(rgb[0, 3], (88, 0, 255))  # up: blue-violet


def test_zero_flow_is_white_and_magnitude_desaturates():
    np.testing.assert_array_equal(flow_to_color(np.zeros((2, 3, 2))), 255)
    flow = np.array([[[2.0, 0.0], [1.0, 0.0], [0.0, 0.0]]])
    rgb = flow_to_color(flow)  # normalised by the max (2)
    np.testing.assert_array_equal(rgb[0, 0], (255, 0, 0))
    np.testing.assert_array_equal(rgb[0, 1], (255, 127, 127))
    np.testing.assert_array_equal(rgb[0, 2], (255, 255, 255))
    # Larger than max_magnitude: dimmed to 75 % of the wheel colour.
    np.testing.assert_array_equal(flow_to_color(flow, max_magnitude=1.0)[0, 0], (191, 0, 0))


def test_hue_depends_only_on_direction_and_is_symmetric():
    angles = np.arange(0, 360, 7.5)
    flow = np.concatenate([_unit(a) for a in angles], axis=1)
    # (Exactly radius 1 is avoided: round-off may push it past the wheel's edge.)
    rgb = flow_to_color(flow, max_magnitude=1.0 + 1e-9).astype(int)
    scaled = flow_to_color(flow * 2.5, max_magnitude=5.0).astype(int)
    half = flow_to_color(flow * 0.5, max_magnitude=1.0).astype(int)
    np.testing.assert_allclose(scaled, half, atol=1)
    # Every direction is fully saturated (one channel at 255) and distinct.
    assert np.all(rgb.max(axis=-1) >= 254)
    assert len({tuple(c) for c in rgb[0]}) == len(angles)
    # Opposite directions sit half a wheel apart: their interpolated wheel
    # positions differ by (55 - 1) / 2 entries.
    wheel = make_color_wheel()
    for a in (30.0, 100.0):
        for angle in (a, a + 180.0):
            position = (
                (np.arctan2(-np.sin(np.deg2rad(angle)), -np.cos(np.deg2rad(angle))) / np.pi + 1)
                / 2
                * 54
            )
            k0 = int(np.floor(position))
            f = position - k0
            expected = np.floor((1 - f) * wheel[k0] + f * wheel[(k0 + 1) % 55])
            got = flow_to_color(_unit(angle), max_magnitude=1.0)[0, 0]
            np.testing.assert_array_equal(got, expected)


def test_unknown_flow_is_black():
    flow = np.array([[[np.nan, 0.0], [1e10, 0.0], [1.0, 0.0]]])
    rgb = flow_to_color(flow)
    np.testing.assert_array_equal(rgb[0, :2], 0)
    np.testing.assert_array_equal(rgb[0, 2], (255, 0, 0))


def test_matches_flow_vis_package():
    flow_vis = pytest.importorskip("flow_vis")
    flow = np.random.default_rng(0).normal(size=(12, 16, 2)) * 3
    np.testing.assert_array_equal(flow_to_color(flow), flow_vis.flow_to_color(flow))


@pytest.mark.parametrize("shape", [(4, 4), (4, 4, 3), (2, 4, 4, 2), (4, 4, 1)])
def test_flow_shape_errors(shape):
    with pytest.raises(
        ValueError, match=r"`flow` must have shape \(H, W, 2\)\. Received: flow.shape="
    ):
        flow_to_color(np.zeros(shape))
    with pytest.raises(ValueError, match=r"`flow` must have shape \(H, W, 2\)"):
        flow_to_arrows(np.zeros(shape))


def test_flow_argument_errors():
    with pytest.raises(ValueError, match="`max_magnitude` must be > 0"):
        flow_to_color(np.zeros((2, 2, 2)), max_magnitude=0)
    with pytest.raises(ValueError, match=r"`step` must be an integer >= 1\. Received: step=0"):
        flow_to_arrows(np.zeros((2, 2, 2)), step=0)
    with pytest.raises(ValueError, match="`image` and `flow` must have the same height and width"):
        flow_to_arrows(np.zeros((8, 8, 2)), image=np.zeros((8, 9, 3), np.uint8))


def test_flow_to_arrows_draws_in_direction():
    flow = np.zeros((32, 32, 2))
    flow[..., 0] = 6.0  # everything moves right
    canvas = flow_to_arrows(flow, step=16, color=(0, 0, 0))
    assert canvas.dtype == np.uint8 and canvas.shape == (32, 32, 3)
    dark = canvas.min(axis=-1) < 128
    rows, cols = np.nonzero(dark)
    assert set(np.unique(rows)) <= set(range(4, 13)) | set(range(20, 29))
    assert cols.min() >= 8 and cols.max() <= 8 + 6 + 1 + 16
    assert dark[8, 10] and not dark[8, 4]  # the shaft lies right of the start
    # Default colours follow the wheel: rightward arrows are red on white.
    red = flow_to_arrows(flow, step=16)[8, 10].astype(int)  # anti-aliased
    assert red[0] == 255 and red[1] == red[2] < 60
    # Zero flow draws nothing; the input image is not modified.
    image = np.full((32, 32, 3), 7, np.uint8)
    np.testing.assert_array_equal(flow_to_arrows(np.zeros((32, 32, 2)), image), image)
    flow_to_arrows(flow, image)
    assert np.all(image == 7)
    gray = flow_to_arrows(flow, np.zeros((32, 32), np.uint8))
    assert gray.shape == (32, 32, 3)


def test_colorize_and_ignore():
    class_map = np.array([[0, 1], [18, 255]])
    rgb = colorize(class_map)
    assert rgb.dtype == np.uint8 and rgb.shape == (2, 2, 3)
    np.testing.assert_array_equal(rgb[0, 0], (128, 64, 128))
    np.testing.assert_array_equal(rgb[0, 1], (244, 35, 232))
    np.testing.assert_array_equal(rgb[1, 0], (119, 11, 32))
    np.testing.assert_array_equal(rgb[1, 1], (0, 0, 0))
    custom = colorize(np.array([[0, 1, 9]]), palette=[(1, 2, 3), (4, 5, 6)], ignore_index=9)
    np.testing.assert_array_equal(custom[0], [(1, 2, 3), (4, 5, 6), (0, 0, 0)])


def test_colorize_errors():
    with pytest.raises(
        ValueError,
        match=r"`class_map` must have shape \(H, W\)\. Received: class_map.shape=\(2, 2, 1\)",
    ):
        colorize(np.zeros((2, 2, 1), np.int32))
    with pytest.raises(TypeError, match="`class_map` must hold integer class ids"):
        colorize(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match=r"`class_map` values must be in \[0, 19\)"):
        colorize(np.array([[0, 19]]))
    with pytest.raises(ValueError, match=r"`palette` must have shape \(num_classes, 3\)"):
        colorize(np.zeros((2, 2), np.int32), palette=[(1, 2)])


def test_overlay():
    image = np.full((2, 2, 3), 100, np.uint8)
    class_map = np.array([[0, 255], [12, 12]])  # 12: rider = (255, 0, 0)
    out = overlay(image, class_map, alpha=0.5)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 0], (114, 82, 114))
    np.testing.assert_array_equal(out[0, 1], (100, 100, 100))  # ignore: untouched
    np.testing.assert_array_equal(out[1, 0], (178, 50, 50))
    np.testing.assert_array_equal(overlay(image, class_map, alpha=0.0), image)
    with pytest.raises(ValueError, match=r"`alpha` must be in \[0, 1\]"):
        overlay(image, class_map, alpha=2)
    with pytest.raises(ValueError, match="`image` and `class_map` must have the same height"):
        overlay(image, np.zeros((3, 2), np.int32))


def test_legend():
    image = legend()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert image.shape[0] == len(CITYSCAPES_CLASS_NAMES) * 24 + 4
    # The first swatch's inside carries the palette colour.
    np.testing.assert_array_equal(image[14, 14], CITYSCAPES_PALETTE[0])
    # Text is drawn (dark pixels right of the swatches).
    assert (image[:, 30:].min(axis=-1) < 100).any()
    small = legend(["a", "b"], palette=[(10, 20, 30), (40, 50, 60)], swatch_size=10)
    assert small.shape[0] == 2 * 14 + 4
    with pytest.raises(ValueError, match="`palette` must have a colour per class"):
        legend(["a", "b"], palette=[(0, 0, 0)])


def test_titled_panel_and_grid():
    panel = titled_panel(np.zeros((20, 120, 3), np.uint8), "a title")
    assert panel.shape[1] == 120 and panel.shape[0] > 20
    bar = panel[: panel.shape[0] - 20]
    assert (bar == 0).any() and (bar == 255).any()  # black text on white
    grid = panel_grid([[panel, panel], [panel]], gap=4)
    assert grid.shape == (2 * panel.shape[0] + 12, 2 * 120 + 12, 3)


def test_error_map_marks_wrong_and_ignored_pixels():
    truth = np.array([[0, 1], [2, 255]])
    prediction = np.array([[0, 2], [2, 0]])
    picture = error_map(truth, prediction, np.full((2, 2, 3), 100, np.uint8))
    assert picture[0, 1].tolist() == [230, 30, 30]
    assert picture[1, 1].tolist() == [60, 60, 60]  # ignored: not an error
    assert picture[0, 0].tolist() == picture[1, 0].tolist() != [230, 30, 30]
    with pytest.raises(ValueError, match="one shape"):
        error_map(truth, prediction[:1])


def test_flow_panel_spaces_arrows_by_level():
    image = np.full((64, 128, 3), 128, np.uint8)

    def arrow_pixels(flow, stride):
        # Pixels where the panel differs from the colour-wheel blend: the arrows.
        full = cv2.resize(flow, (128, 64), interpolation=cv2.INTER_LINEAR)
        full = full * np.array([128 / flow.shape[1], 64 / flow.shape[0]], np.float32)
        blend = (0.65 * flow_to_color(full) + 0.35 * image).astype(np.uint8)
        return (flow_panel(flow, image, stride) != blend).any(axis=-1)

    coarse = np.zeros((4, 8, 2), np.float32)
    coarse[..., 0] = 1.0  # rightwards, stride 16
    assert flow_panel(coarse, image, stride=16).shape == (64, 128, 3)
    cells = arrow_pixels(coarse, 16).reshape(4, 16, 8, 16).any(axis=(1, 3))
    assert cells.all()  # one arrow per 16x16 cell
    # A stride-4 flow gets the same 16-pixel grid (min_spacing), not one every 4.
    fine = np.zeros((16, 32, 2), np.float32)
    fine[..., 0] = 1.0
    rows_with_arrows = np.flatnonzero(arrow_pixels(fine, 4).any(axis=1))
    assert set(rows_with_arrows) >= {8, 24, 40, 56}
    assert not set(rows_with_arrows) & set(range(14, 20))  # no arrow row at 12, 16


def test_prediction_figure_has_every_panel_and_a_legend():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (32, 64, 3), dtype=np.uint8) for _ in range(2)]
    truths = [np.zeros((32, 64), np.int64), np.full((32, 64), 2)]
    predictions = [np.zeros((32, 64), np.int64), np.ones((32, 64), np.int64)]
    flows = [(np.ones((8, 16, 2), np.float32), 4)] * 2
    names = ["road", "sidewalk", "building"]
    palette = np.array([[128, 64, 128], [244, 35, 232], [70, 70, 70]])
    figure = prediction_figure(
        images, truths, predictions, names, palette, flows=flows, min_width=128, title="demo"
    )
    plain = prediction_figure(images, truths, predictions, names, palette, min_width=128)
    # Six 128-pixel panels per row with flows, five without; two rows. The key column
    # holds the legend and, with flows, the flow colour wheel (132 pixels wide).
    key_width = plain.shape[1] - (5 * 128 + 6 * 6)
    assert 128 + 6 <= figure.shape[1] - plain.shape[1] <= 128 + 6 + max(0, 150 - key_width)
    assert figure.shape[0] > 2 * 64
    # No ignored pixel: no "ignore" entry; with some, a black swatch and its name.
    truths[0][:4] = 255
    ignored = prediction_figure(images, truths, predictions, names, palette, min_width=128)

    def black_key_pixels(picture):
        return int(np.all(picture[:, 5 * 128 + 6 * 6 :] == 0, axis=-1).sum())  # right of panels

    assert black_key_pixels(ignored) > black_key_pixels(plain) + 16 * 16
    with pytest.raises(ValueError, match="one length"):
        prediction_figure(images, truths[:1], predictions, names, palette)


def test_flow_color_key_matches_flow_to_color():
    from keras_sfnet.visualize import flow_color_key, flow_to_color

    key = flow_color_key(65)
    right = flow_to_color(np.array([[[1.0, 0.0]]]), max_magnitude=1.0)[0, 0]
    down = flow_to_color(np.array([[[0.0, 1.0]]]), max_magnitude=1.0)[0, 0]
    np.testing.assert_allclose(key[32, 64], right, atol=2)
    np.testing.assert_allclose(key[64, 32], down, atol=2)
    assert key[32, 32].tolist() == [255, 255, 255] and key[0, 0].tolist() == [255, 255, 255]
