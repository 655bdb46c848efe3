"""The procedural street-scene renderer: an RGB image and its Cityscapes labelId map.

`render_street_scene` draws one scene from a seed, in memory (no files): the
dataset writers (`keras_sfnet.synthetic.cityscapes_writer`,
`...layout_writer`) save such scenes in each dataset's layout, and export
calibration or parity checks can take them as sample images.

Scenes are rendered with a pinhole camera over a flat street: sky with clouds,
a far skyline, facades along both sides (buildings with perspective windows,
walls, fences, hedges), road with lane markings and crossings, sidewalks with
tiles, terrain strips, parking bays (labelId 9, ignored in training), poles with
traffic signs and lights, trees, cars, buses, people and cyclists (riders on
bicycles), drawn far to near so that nearer objects occlude farther ones, plus
sometimes the ego vehicle's bonnet (labelId 1, ignored). Colours are drawn per
image and per instance from wide, overlapping ranges, then lighting, colour
cast, haze, blur and noise are applied: classes are told apart by texture,
shape and position, not by colour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from keras_sfnet.synthetic.label_ids import (
    BICYCLE as _BICYCLE,
)
from keras_sfnet.synthetic.label_ids import (
    BUILDING as _BUILDING,
)
from keras_sfnet.synthetic.label_ids import (
    BUS as _BUS,
)
from keras_sfnet.synthetic.label_ids import (
    CAR as _CAR,
)
from keras_sfnet.synthetic.label_ids import (
    EGO as _EGO,
)
from keras_sfnet.synthetic.label_ids import (
    FENCE as _FENCE,
)
from keras_sfnet.synthetic.label_ids import (
    GROUND as _GROUND,
)
from keras_sfnet.synthetic.label_ids import (
    LIGHT as _LIGHT,
)
from keras_sfnet.synthetic.label_ids import (
    PARKING as _PARKING,
)
from keras_sfnet.synthetic.label_ids import (
    PERSON as _PERSON,
)
from keras_sfnet.synthetic.label_ids import (
    POLE as _POLE,
)
from keras_sfnet.synthetic.label_ids import (
    RIDER as _RIDER,
)
from keras_sfnet.synthetic.label_ids import (
    ROAD as _ROAD,
)
from keras_sfnet.synthetic.label_ids import (
    SIDEWALK as _SIDEWALK,
)
from keras_sfnet.synthetic.label_ids import (
    SIGN as _SIGN,
)
from keras_sfnet.synthetic.label_ids import (
    SKY as _SKY,
)
from keras_sfnet.synthetic.label_ids import (
    TERRAIN as _TERRAIN,
)
from keras_sfnet.synthetic.label_ids import (
    VEGETATION as _VEGETATION,
)
from keras_sfnet.synthetic.label_ids import (
    WALL as _WALL,
)

__all__ = ["render_street_scene"]


def _color(
    rng: np.random.Generator, prior: Sequence[float], mix: tuple[float, float]
) -> np.ndarray:
    """A class prior colour mixed with a random colour (weight ~ U(mix))."""
    weight = rng.uniform(*mix)
    return ((1.0 - weight) * np.asarray(prior, np.float32) + weight * rng.random(3)).astype(
        np.float32
    )


def _noise(rng: np.random.Generator, height: int, width: int, cell: float) -> np.ndarray:
    """Smooth value noise in [0, 1] with features about `cell` pixels wide."""
    gh = max(2, int(height / cell) + 2)
    gw = max(2, int(width / cell) + 2)
    grid = rng.random((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC).clip(0.0, 1.0)


class _Canvas:
    """Image, labelIds and depth being painted, with the camera that projects onto them."""

    def __init__(self, rng: np.random.Generator, height: int, width: int):
        self.rng = rng
        self.height, self.width = height, width
        self.image = np.zeros((height, width, 3), np.float32)
        self.label = np.zeros((height, width), np.uint8)
        self.depth = np.zeros((height, width), np.float32)  # 0 = sky (no haze)
        self.horizon = height * rng.uniform(0.36, 0.5)
        self.vx = width * rng.uniform(0.35, 0.65)
        self.focal = width * rng.uniform(0.55, 0.85)
        self.camera_height = rng.uniform(1.3, 1.8)

    def project(self, x: float, y: float, z: float) -> tuple[float, float]:
        """World (lateral x, height y, depth z) metres -> pixel (column, row)."""
        return (
            self.vx + self.focal * x / z,
            self.horizon + self.focal * (self.camera_height - y) / z,
        )

    def fill(
        self,
        points: np.ndarray,
        label_id: int,
        color: np.ndarray,
        depth: float,
        texture: Callable[[int, int], np.ndarray] | None = None,
    ) -> None:
        """Paints a polygon (pixel coordinates) with a colour and optional texture."""
        points = np.asarray(points, np.float64)
        x0 = max(int(np.floor(points[:, 0].min())), 0)
        y0 = max(int(np.floor(points[:, 1].min())), 0)
        x1 = min(int(np.ceil(points[:, 0].max())) + 1, self.width)
        y1 = min(int(np.ceil(points[:, 1].max())) + 1, self.height)
        if x1 <= x0 or y1 <= y0:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        shifted = np.round((points - [x0, y0]) * 4).astype(np.int32)
        cv2.fillPoly(mask, [shifted], 1, lineType=cv2.LINE_8, shift=2)
        mask = mask.astype(bool)
        if not mask.any():
            return
        field = np.broadcast_to(color, (y1 - y0, x1 - x0, 3))
        if texture is not None:
            field = field * texture(y1 - y0, x1 - x0)[..., None]
        self.image[y0:y1, x0:x1][mask] = field[mask]
        self.label[y0:y1, x0:x1][mask] = label_id
        self.depth[y0:y1, x0:x1][mask] = depth

    def rect(self, x: float, y: float, z: float, w: float, h: float, *args, **kwargs) -> None:
        """Paints an upright world rectangle: centre x, bottom y, depth z, size w x h metres."""
        left, bottom = self.project(x - w / 2, y, z)
        right, top = self.project(x + w / 2, y + h, z)
        right = max(right, left + 1.0)  # thin objects keep at least one pixel
        self.fill(
            np.array([[left, top], [right, top], [right, bottom], [left, bottom]]), *args, **kwargs
        )

    def ellipse(self, x: float, y: float, z: float, rx: float, ry: float, *args, **kwargs) -> None:
        """Paints a world ellipse centred at (x, y, z) with radii rx, ry metres."""
        cx, cy = self.project(x, y, z)
        ax = max(self.focal * rx / z, 0.6)
        ay = max(self.focal * ry / z, 0.6)
        angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        points = np.stack([cx + ax * np.cos(angles), cy + ay * np.sin(angles)], axis=1)
        self.fill(points, *args, **kwargs)


def _leafy(rng: np.random.Generator) -> Callable[[int, int], np.ndarray]:
    def texture(h: int, w: int) -> np.ndarray:
        n = 0.6 * _noise(rng, h, w, 3) + 0.4 * _noise(rng, h, w, 9)
        return 0.45 + 0.9 * n

    return texture


def _grain(rng: np.random.Generator, amount: float) -> Callable[[int, int], np.ndarray]:
    def texture(h: int, w: int) -> np.ndarray:
        return 1.0 + amount * (rng.random((h, w), np.float32) - 0.5)

    return texture


def _sky(canvas: _Canvas) -> np.ndarray:
    rng, h, w = canvas.rng, canvas.height, canvas.width
    top = _color(rng, (0.35, 0.55, 0.85), (0.2, 0.8))
    bottom = np.clip(top + rng.uniform(0.05, 0.35), 0, 1)
    t = (np.arange(h, dtype=np.float32) / max(canvas.horizon, 1.0)).clip(0, 1)[:, None, None]
    sky = (1 - t) * top + t * bottom
    clouds = _noise(rng, h, w, rng.uniform(20, 60)) ** 2 * rng.uniform(0.0, 0.6)
    sky = sky * (1 - clouds[..., None]) + clouds[..., None] * rng.uniform(0.7, 1.0)
    canvas.image[:] = np.broadcast_to(sky, canvas.image.shape)
    canvas.label[:] = _SKY
    return top


def _skyline(canvas: _Canvas, z_end: float) -> None:
    rng = canvas.rng
    x = -rng.uniform(30, 60)
    while x < rng.uniform(30, 60):
        width = rng.uniform(6, 25)
        height = rng.uniform(8, 60)
        color = _color(rng, (0.5, 0.5, 0.5), (0.3, 0.9)) * 0.8
        canvas.rect(
            x + width / 2, 0.0, z_end, width, height, _BUILDING, color, z_end, _grain(rng, 0.15)
        )
        x += width + rng.uniform(-2, 4)


def _ground(canvas: _Canvas, street: dict, z_end: float) -> None:
    rng, h, w = canvas.rng, canvas.height, canvas.width
    y_far = int(np.floor(canvas.horizon + canvas.focal * canvas.camera_height / z_end))
    ys = np.arange(max(y_far, 0), h, dtype=np.float32)
    if ys.size == 0:
        return
    d = ys[:, None] - canvas.horizon + 0.5
    z = np.broadcast_to(canvas.focal * canvas.camera_height / d, (ys.size, w))
    x = (np.arange(w, dtype=np.float32)[None, :] - canvas.vx) * canvas.camera_height / d
    lateral = np.abs(x - street["center"])
    road_half, walk = street["road_half"], street["sidewalk"]
    label = np.full(z.shape, _TERRAIN, np.uint8)
    label[lateral <= road_half + walk] = _SIDEWALK
    label[lateral <= road_half] = _ROAD
    if street["parking"]:
        bay = (lateral > road_half - 2.2) & (lateral <= road_half) & (np.mod(z, 30) < 18)
        label[bay] = _PARKING
    if street["ground_patch"]:
        label[(label == _TERRAIN) & (np.mod(z + x, 23) < 4)] = _GROUND

    colors = {
        _ROAD: _color(rng, (0.3, 0.3, 0.32), (0.1, 0.6)),
        _SIDEWALK: _color(rng, (0.6, 0.55, 0.55), (0.2, 0.8)),
        _TERRAIN: _color(rng, (0.45, 0.6, 0.3), (0.2, 0.9)),
        _PARKING: _color(rng, (0.4, 0.4, 0.45), (0.2, 0.8)),
        _GROUND: _color(rng, (0.45, 0.4, 0.3), (0.2, 0.8)),
    }
    image = np.zeros(z.shape + (3,), np.float32)
    for label_id, color in colors.items():
        image[label == label_id] = color
    fine = rng.random(z.shape, np.float32)
    coarse = _noise(rng, ys.size, w, 12)
    shade = np.ones(z.shape, np.float32)
    road = label == _ROAD
    shade[road] = 0.85 + 0.2 * fine[road] + 0.1 * coarse[road]
    # Sidewalk tiles: lines in world coordinates, so they follow the perspective.
    walk_px = label == _SIDEWALK
    tile = street["tile"]
    grid = (np.mod(x, tile) < 0.05 * tile) | (np.mod(z, tile) < 0.05 * tile)
    shade[walk_px] = 0.95 + 0.1 * fine[walk_px] - 0.3 * grid[walk_px]
    curb = walk_px & (lateral < road_half + 0.2)
    shade[curb] = 1.25
    grass = label == _TERRAIN
    streaks = _noise(rng, ys.size, w, 2.0)
    shade[grass] = 0.5 + 0.6 * streaks[grass] + 0.3 * coarse[grass]
    rest = ~(road | walk_px | grass)
    shade[rest] = 0.9 + 0.2 * fine[rest]
    image *= shade[..., None]

    # Lane markings (still "road"): dashed lines at lane borders, solid edges.
    paint = _color(rng, (0.95, 0.95, 0.9), (0.0, 0.3))
    if rng.random() < 0.3:
        paint = _color(rng, (0.95, 0.8, 0.2), (0.0, 0.2))
    center = x - street["center"]
    for lane_x in street["lanes"]:
        dashed = (np.abs(center - lane_x) < 0.07) & (np.mod(z, 9.0) < 3.0) & road
        image[dashed] = paint
    for edge in (-road_half + 0.25, road_half - 0.25):
        image[(np.abs(center - edge) < 0.06) & road] = paint
    if street["crossing"] is not None:
        z0 = street["crossing"]
        zebra = road & (z > z0) & (z < z0 + 3.5) & (np.mod(center, 1.0) < 0.5)
        image[zebra] = paint
    # Shadows cast across the street (change colour, not class).
    for _ in range(rng.integers(0, 3)):
        z0, z1 = sorted(rng.uniform(3, 60, size=2))
        side = rng.choice([-1.0, 1.0])
        shadow = (z > z0) & (z < z1) & (side * center > rng.uniform(-road_half, road_half))
        image[shadow] *= rng.uniform(0.45, 0.75)

    canvas.image[ys.astype(int)[0] :] = image
    canvas.label[ys.astype(int)[0] :] = label
    canvas.depth[ys.astype(int)[0] :] = z


def _facade_segments(rng: np.random.Generator, z_end: float) -> list[dict]:
    segments, z = [], rng.uniform(0, 4)
    while z < z_end:
        length = rng.uniform(6, 28)
        kind = rng.choice(
            ["building", "wall", "fence", "hedge", "gap"], p=[0.6, 0.1, 0.1, 0.14, 0.06]
        )
        height = {
            "building": rng.uniform(6, 28), "wall": rng.uniform(1, 2.8),
            "fence": rng.uniform(1, 2.2), "hedge": rng.uniform(1.5, 5), "gap": 0.0,
        }[kind]  # fmt: skip
        prior = {
            "building": (0.6, 0.55, 0.5), "wall": (0.65, 0.6, 0.55), "fence": (0.5, 0.45, 0.4),
            "hedge": (0.3, 0.5, 0.2), "gap": (0, 0, 0),
        }[kind]  # fmt: skip
        segments.append(
            {
                "start": z, "end": z + length, "kind": kind, "height": height,
                "color": _color(rng, prior, (0.3, 1.0)),
                "window": _color(rng, (0.2, 0.25, 0.3), (0.2, 1.0)),
                "window_w": rng.uniform(2.0, 4.5), "floor_h": rng.uniform(2.8, 4.0),
                "slat": rng.uniform(0.1, 0.4),
            }
        )  # fmt: skip
        z += length
    return segments


def _facades(canvas: _Canvas, street: dict, z_end: float) -> None:
    rng, h, w = canvas.rng, canvas.height, canvas.width
    ys = np.arange(h, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(w, dtype=np.float32)[None, :] + 0.5
    for side in (-1.0, 1.0):
        offset = street["facade"][side] * side + street["center"]  # facade plane x (metres)
        dx = xs - canvas.vx
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(dx * side > 0.5, canvas.focal * offset / dx, np.inf)
        z = np.broadcast_to(z, (h, w))
        height = canvas.camera_height - (ys - canvas.horizon) * z / canvas.focal
        light = rng.uniform(0.55, 1.1)
        for seg in _facade_segments(rng, z_end):
            if seg["kind"] == "gap":
                continue
            inside = (
                (z >= seg["start"]) & (z < seg["end"]) & (height >= 0) & (height <= seg["height"])
            )
            if not inside.any():
                continue
            u, v = z[inside], height[inside]
            noise = rng.random(u.shape, np.float32)
            color = np.broadcast_to(seg["color"], u.shape + (3,)) * light
            if seg["kind"] == "building":
                label_id = _BUILDING
                fu = np.mod(u, seg["window_w"]) / seg["window_w"]
                fv = np.mod(v, seg["floor_h"]) / seg["floor_h"]
                window = (fu > 0.25) & (fu < 0.75) & (fv > 0.3) & (fv < 0.8) & (v > 2.5)
                lit = (
                    np.floor(u / seg["window_w"]) * 7 + np.floor(v / seg["floor_h"]) * 13
                ) % 5 == 0
                win_color = seg["window"] * np.where(lit, 2.2, 1.0)[:, None]
                color = np.where(window[:, None], win_color, color * (0.9 + 0.2 * noise[:, None]))
                ledge = fv < 0.06
                color = np.where(ledge[:, None], color * 0.7, color)
            elif seg["kind"] == "fence":
                label_id = _FENCE
                slat = (np.mod(u, seg["slat"]) / seg["slat"] < 0.45) | (
                    np.abs(v - seg["height"] * 0.8) < 0.06
                )
                color = color * np.where(slat, 1.0, 0.45)[:, None]
            elif seg["kind"] == "wall":
                label_id = _WALL
                course = np.mod(v, 0.3) < 0.03
                color = color * (0.85 + 0.3 * noise[:, None]) * np.where(course, 0.75, 1.0)[:, None]
            else:
                label_id = _VEGETATION
                leaves = _noise(rng, h, w, 3)[inside]
                color = color * (0.4 + 0.9 * leaves[:, None])
            canvas.image[inside] = color
            canvas.label[inside] = label_id
            canvas.depth[inside] = u


def _car(canvas: _Canvas, x: float, z: float, big: bool) -> None:
    rng = canvas.rng
    width = rng.uniform(2.4, 2.6) if big else rng.uniform(1.6, 1.95)
    height = rng.uniform(2.8, 3.3) if big else rng.uniform(1.35, 1.6)
    label_id = _BUS if big else _CAR
    body = _color(rng, (0.5, 0.5, 0.5), (0.4, 1.0))
    dark = _color(rng, (0.1, 0.1, 0.12), (0.0, 0.3))
    glass = _color(rng, (0.25, 0.3, 0.35), (0.2, 0.8))
    sheen = _grain(rng, 0.08)
    # Wheels, body, cabin, windows, lights: nearer parts drawn last.
    for wx in (-width / 2 + 0.3, width / 2 - 0.3):
        canvas.rect(x + wx, 0.0, z, 0.35, 0.45, label_id, dark, z)
    if big:
        canvas.rect(x, 0.25, z, width, height - 0.25, label_id, body, z, sheen)
        canvas.rect(x, height * 0.45, z, width * 0.85, height * 0.4, label_id, glass, z)
    else:
        canvas.rect(x, 0.25, z, width, height * 0.5, label_id, body, z, sheen)
        left, bottom = canvas.project(x - width / 2, height * 0.65, z)
        right, _ = canvas.project(x + width / 2, height * 0.65, z)
        inset = (right - left) * rng.uniform(0.1, 0.2)
        _, top = canvas.project(x, height, z)
        cabin = np.array(
            [[left + inset, top], [right - inset, top], [right, bottom], [left, bottom]]
        )
        canvas.fill(cabin, label_id, body * 0.9, z, sheen)
        pad = (right - left) * 0.08
        window = cabin + np.array([[pad, pad], [-pad, pad], [-pad, -pad / 2], [pad, -pad / 2]])
        canvas.fill(window, label_id, glass, z, _grain(rng, 0.2))
        canvas.rect(x, height * 0.5 + 0.2, z, width * 0.98, 0.25, label_id, body * 0.8, z)
    lamp = _color(rng, (0.8, 0.1, 0.1), (0.0, 0.3))
    for lx in (-width / 2 + 0.2, width / 2 - 0.2):
        canvas.rect(x + lx, 0.8, z, 0.25, 0.12, label_id, lamp, z)
    canvas.rect(x, 0.45, z, 0.5, 0.12, label_id, _color(rng, (0.9, 0.9, 0.9), (0.0, 0.3)), z)


def _person(
    canvas: _Canvas, x: float, z: float, label_id: int = _PERSON, base: float = 0.0
) -> None:
    rng = canvas.rng
    tall = rng.uniform(1.5, 1.9)
    clothes = _color(rng, (0.4, 0.35, 0.4), (0.5, 1.0))
    trousers = _color(rng, (0.2, 0.2, 0.3), (0.3, 1.0))
    skin = _color(rng, (0.75, 0.6, 0.5), (0.0, 0.4))
    if base == 0.0:
        stride = rng.uniform(0.0, 0.15)
        for lx in (-0.1 - stride, 0.1 + stride):
            canvas.rect(x + lx, 0.0, z, 0.13, tall * 0.48, label_id, trousers, z)
    canvas.rect(x, base + tall * 0.45, z, 0.45, tall * 0.37, label_id, clothes, z, _grain(rng, 0.1))
    for ax in (-0.26, 0.26):
        canvas.rect(x + ax, base + tall * 0.5, z, 0.09, tall * 0.3, label_id, clothes * 0.9, z)
    canvas.ellipse(x, base + tall * 0.91, z, 0.11, 0.13, label_id, skin, z)
    if rng.random() < 0.5:
        canvas.ellipse(x, base + tall * 0.97, z, 0.12, 0.07, label_id, trousers, z)


def _cyclist(canvas: _Canvas, x: float, z: float) -> None:
    rng = canvas.rng
    frame = _color(rng, (0.5, 0.2, 0.2), (0.3, 1.0))
    tyre = _color(rng, (0.08, 0.08, 0.08), (0.0, 0.2))
    # Seen from behind: one wheel, handlebar, frame tube.
    canvas.rect(x, 0.0, z, 0.07, 0.7, _BICYCLE, tyre, z)
    canvas.rect(x, 0.35, z, 0.06, 0.55, _BICYCLE, frame, z)
    canvas.rect(x, 0.95, z, 0.6, 0.05, _BICYCLE, frame, z)
    _person(canvas, x, z - 0.2, _RIDER, base=0.45)


def _tree(canvas: _Canvas, x: float, z: float) -> None:
    rng = canvas.rng
    trunk = _color(rng, (0.35, 0.25, 0.15), (0.0, 0.5))
    leaves = _color(rng, (0.25, 0.45, 0.15), (0.2, 0.9))
    height = rng.uniform(4, 10)
    canvas.rect(
        x, 0.0, z, rng.uniform(0.2, 0.45), height * 0.6, _VEGETATION, trunk, z, _grain(rng, 0.2)
    )
    radius = rng.uniform(1.5, 3.5)
    for _ in range(rng.integers(2, 5)):
        canvas.ellipse(
            x + rng.uniform(-0.5, 0.5) * radius, height - radius * rng.uniform(0.3, 0.9), z,
            radius * rng.uniform(0.6, 1.0), radius * rng.uniform(0.5, 0.9),
            _VEGETATION, leaves, z, _leafy(rng),
        )  # fmt: skip


def _pole(canvas: _Canvas, x: float, z: float) -> None:
    rng = canvas.rng
    metal = _color(rng, (0.5, 0.5, 0.5), (0.2, 0.9))
    height = rng.uniform(3.5, 7.5)
    canvas.rect(x, 0.0, z, rng.uniform(0.1, 0.2), height, _POLE, metal, z)
    kind = rng.choice(["sign", "light", "lamp", "none"], p=[0.4, 0.3, 0.2, 0.1])
    top = height - rng.uniform(0.2, 1.0)
    if kind == "sign":
        face = _color(rng, (0.8, 0.3, 0.2), (0.3, 1.0))
        size = rng.uniform(0.5, 0.9)
        cx, cy = canvas.project(x, top, z)
        radius = canvas.focal * size / 2 / z
        shape = rng.choice([3, 4, 24])
        angles = np.linspace(0, 2 * np.pi, shape, endpoint=False) + (
            np.pi / 4 if shape == 4 else -np.pi / 2
        )
        points = np.stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)], axis=1)
        canvas.fill(points, _SIGN, face, z, _grain(rng, 0.1))
        canvas.ellipse(x, top, z, size * 0.25, size * 0.25, _SIGN, face * 0.4 + 0.5, z)
    elif kind == "light":
        housing = _color(rng, (0.15, 0.15, 0.12), (0.0, 0.5))
        canvas.rect(x, top - 1.0, z, 0.35, 1.0, _LIGHT, housing, z)
        lit = rng.integers(0, 3)
        for i, lamp in enumerate(((0.2, 0.9, 0.3), (0.95, 0.7, 0.1), (0.95, 0.15, 0.1))):
            color = np.asarray(lamp, np.float32) * (1.0 if i == lit else 0.3)
            canvas.ellipse(x, top - 0.2 - 0.3 * (2 - i), z, 0.1, 0.1, _LIGHT, color, z)
    elif kind == "lamp":
        side = -np.sign(x) if x != 0 else 1.0
        canvas.rect(x + side * 0.6, height - 0.1, z, 1.2, 0.1, _POLE, metal, z)


def render_street_scene(
    seed: int | Sequence[int] = 0, image_size: Sequence[int] = (256, 512)
) -> tuple[np.ndarray, np.ndarray]:
    """Renders one procedural street scene and its Cityscapes labelId map.

    Args:
        seed: int or sequence of ints, defaults to 0. Same seed, same scene.
        image_size: (height, width), defaults to `(256, 512)`.

    Returns:
        `(image, label_ids)`: uint8 RGB `(H, W, 3)` and uint8 `(H, W)` of
        Cityscapes labelIds.

    Example:
    >>> image, label_ids = render_street_scene(0, (128, 256))
    >>> image.shape, label_ids.shape
    ((128, 256, 3), (128, 256))
    """
    height, width = (int(v) for v in image_size)
    if height < 16 or width < 16:
        raise ValueError(
            f"`image_size` must be at least (16, 16). Received: image_size={image_size!r}"
        )
    rng = np.random.default_rng(seed)
    canvas = _Canvas(rng, height, width)
    z_end = rng.uniform(80, 200)
    road_half = rng.uniform(3.5, 8.0)
    sidewalk = rng.uniform(1.5, 4.0)
    lanes = np.arange(-road_half + 3.3, road_half - 1.5, 3.3)
    street = {
        "center": rng.uniform(-0.4, 0.4) * road_half,
        "road_half": road_half,
        "sidewalk": sidewalk,
        "lanes": lanes,
        "tile": rng.uniform(0.4, 1.2),
        "parking": rng.random() < 0.3,
        "ground_patch": rng.random() < 0.3,
        "crossing": rng.uniform(8, 40) if rng.random() < 0.35 else None,
        "facade": {s: road_half + sidewalk + rng.uniform(0, 6) for s in (-1.0, 1.0)},
    }

    sky_color = _sky(canvas)
    _skyline(canvas, z_end)
    _ground(canvas, street, z_end)
    _facades(canvas, street, z_end)

    # Objects, drawn from far to near.
    objects = []
    center = street["center"]
    for _ in range(rng.integers(2, 9)):  # cars and buses on the lanes / parked
        lane = rng.choice(np.concatenate([lanes - 1.65, [-road_half + 1.1, road_half - 1.1]]))
        objects.append((rng.uniform(5, 70), "car", center + lane))
    for _ in range(rng.integers(1, 8)):  # people on the sidewalks
        side = rng.choice([-1.0, 1.0])
        objects.append(
            (rng.uniform(3, 40), "person", center + side * (road_half + rng.uniform(0.3, sidewalk)))
        )
    if rng.random() < 0.4:
        objects.append(
            (rng.uniform(5, 35), "cyclist", center + rng.choice([-1, 1]) * (road_half - 0.7))
        )
    for _ in range(rng.integers(2, 8)):  # poles with signs or lights at the kerb
        side = rng.choice([-1.0, 1.0])
        objects.append(
            (rng.uniform(4, 80), "pole", center + side * (road_half + rng.uniform(0.3, 0.8)))
        )
    for _ in range(rng.integers(0, 6)):  # trees on the sidewalks
        side = rng.choice([-1.0, 1.0])
        objects.append(
            (
                rng.uniform(5, 80),
                "tree",
                center + side * (road_half + sidewalk * rng.uniform(0.5, 1.0)),
            )
        )
    for z, kind, x in sorted(objects, key=lambda o: -o[0]):
        if kind == "car":
            _car(canvas, x, z, big=rng.random() < 0.12)
        elif kind == "person":
            _person(canvas, x, z)
        elif kind == "cyclist":
            _cyclist(canvas, x, z)
        elif kind == "pole":
            _pole(canvas, x, z)
        else:
            _tree(canvas, x, z)

    if rng.random() < 0.4:  # ego vehicle bonnet (void)
        h, w = height, width
        top = h * rng.uniform(0.86, 0.95)
        bonnet = np.array(
            [
                [0, h],
                [0, top + 0.04 * h],
                [w * 0.25, top],
                [w * 0.75, top],
                [w, top + 0.04 * h],
                [w, h],
            ]
        )
        canvas.fill(bonnet, _EGO, _color(rng, (0.2, 0.2, 0.25), (0.2, 0.9)), 1.0, _grain(rng, 0.05))

    # Camera: haze with distance, lighting, colour cast, blur, noise.
    image = canvas.image
    haze = (1.0 - np.exp(-canvas.depth / rng.uniform(120, 500)))[..., None]
    image = image * (1 - haze) + haze * np.clip(sky_color + 0.2, 0, 1)
    image = image * rng.uniform(0.6, 1.3) * (1.0 + rng.normal(0, 0.08, 3)).astype(np.float32)
    image = np.clip(image, 0, 1) ** rng.uniform(0.8, 1.25)
    image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), rng.uniform(0.3, 0.8))
    image = image + rng.normal(0, rng.uniform(0.005, 0.03), image.shape).astype(np.float32)
    image = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    return image, canvas.label.copy()
