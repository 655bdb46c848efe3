"""A small procedural street-scene dataset in the Cityscapes layout.

`generate_synthetic_cityscapes` writes `leftImg8bit/` images and `gtFine/`
`*_gtFine_labelIds.png` masks that use the real Cityscapes labelIds, so the
default training run exercises the real Cityscapes code path (labelId ->
trainId mapping included) without downloading anything.

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

import json
import logging
import os
from collections.abc import Callable, Sequence

import cv2
import numpy as np

__all__ = [
    "SYNTHETIC_CITIES",
    "SYNTHETIC_LAYOUTS",
    "coarsen_label_ids",
    "generate_synthetic_cityscapes",
    "generate_synthetic_layout",
    "render_street_scene",
]

logger = logging.getLogger(__name__)

#: City folder name per split.
SYNTHETIC_CITIES: dict[str, str] = {"train": "synthburg", "val": "synthstadt", "test": "synthdorf"}

# Cityscapes labelIds used by the renderer.
_EGO, _GROUND, _ROAD, _SIDEWALK, _PARKING = 1, 6, 7, 8, 9
_BUILDING, _WALL, _FENCE, _POLE = 11, 12, 13, 17
_LIGHT, _SIGN, _VEGETATION, _TERRAIN, _SKY = 19, 20, 21, 22, 23
_PERSON, _RIDER, _CAR, _BUS, _BICYCLE = 24, 25, 26, 28, 33


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


def generate_synthetic_cityscapes(
    root: str | os.PathLike,
    num_train: int = 80,
    num_val: int = 20,
    num_test: int = 0,
    image_size: Sequence[int] = (256, 512),
    seed: int = 0,
    num_coarse: int = 0,
) -> str:
    """Writes a small synthetic dataset in the Cityscapes layout.

    Layout (one city per split, see `SYNTHETIC_CITIES`):
    ```
    {root}/leftImg8bit/{split}/{city}/{city}_000000_{i:06d}_leftImg8bit.png
    {root}/gtFine/{split}/{city}/{city}_000000_{i:06d}_gtFine_labelIds.png
    ```
    Labels are real Cityscapes labelIds (road 7, sidewalk 8, building 11,
    wall 12, fence 13, pole 17, traffic light 19, traffic sign 20, vegetation 21,
    terrain 22, sky 23, person 24, rider 25, car 26, bus 28, bicycle 33, plus the
    ignored ego vehicle 1, ground 6 and parking 9). Image `i` of a split depends
    only on `(seed, split, i)`: the same arguments give byte-identical files.
    Existing files of the same names are overwritten. With `num_coarse`, also
    writes the coarse extra set (`coarsen_label_ids` of new scenes):
    `leftImg8bit/train_extra/{city}/...` and
    `gtCoarse/train_extra/{city}/{city}_000000_{i:06d}_gtCoarse_labelIds.png`.

    Args:
        root: str or path. Output folder (created if needed).
        num_train: int, defaults to 80. Training images.
        num_val: int, defaults to 20. Validation images.
        num_test: int, defaults to 0. Test images (with labels).
        image_size: (height, width), defaults to `(256, 512)`.
        seed: int, defaults to 0.
        num_coarse: int, defaults to 0. Coarse `train_extra` images.

    Returns:
        `root` as a str.

    Example:
    >>> from keras_sfnet.data import load_dataset
    >>> import tempfile
    >>> root = generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=8,
    ...                                      num_val=2, image_size=(128, 256))
    >>> ds = load_dataset("cityscapes", root, "val", training=False)
    """
    root = os.fspath(root)
    counts = {"train": num_train, "val": num_val, "test": num_test, "coarse": num_coarse}
    for split, count in counts.items():
        if int(count) < 0:
            raise ValueError(f"`num_{split}` must be >= 0. Received: num_{split}={count!r}")
    for split_id, (split, count) in enumerate(counts.items()):
        if not count:
            continue
        coarse = split == "coarse"
        city = SYNTHETIC_CITIES["train" if coarse else split]
        folder = "train_extra" if coarse else split
        image_dir = os.path.join(root, "leftImg8bit", folder, city)
        label_dir = os.path.join(root, "gtCoarse" if coarse else "gtFine", folder, city)
        os.makedirs(image_dir, exist_ok=True)
        os.makedirs(label_dir, exist_ok=True)
        for i in range(int(count)):
            image, label_ids = render_street_scene((int(seed), split_id, i), image_size)
            stem = f"{city}_000000_{i:06d}"
            cv2.imwrite(os.path.join(image_dir, f"{stem}_leftImg8bit.png"), image[..., ::-1])
            if coarse:
                label_ids = coarsen_label_ids(label_ids, (int(seed), split_id, i))
            kind = "gtCoarse" if coarse else "gtFine"
            cv2.imwrite(os.path.join(label_dir, f"{stem}_{kind}_labelIds.png"), label_ids)
        logger.info("Wrote %d synthetic %s images to %s.", count, split, image_dir)
    return root


def coarsen_label_ids(label_ids: np.ndarray, seed: int | Sequence[int] = 0) -> np.ndarray:
    """Turns a fine labelId map into a coarse one, as Cityscapes' `gtCoarse` looks.

    Each class region is shrunk (eroded by a few pixels) and the rest becomes
    labelId 0 ("unlabeled"); whole small regions vanish, as in the coarse
    polygons.

    Args:
        label_ids: uint8 `(H, W)` Cityscapes labelIds.
        seed: int or sequence of ints, defaults to 0. Picks the erosion size.

    Returns:
        A uint8 `(H, W)` labelId map.

    Example:
    >>> fine = np.full((32, 32), 7, np.uint8)
    >>> coarse = coarsen_label_ids(fine)
    >>> int(coarse[16, 16]), int(coarse[0, 0])
    (7, 0)
    """
    label_ids = np.asarray(label_ids, np.uint8)
    rng = np.random.default_rng(seed)
    size = max(3, int(round(min(label_ids.shape) * rng.uniform(0.03, 0.06))) | 1)
    kernel = np.ones((size, size), np.uint8)
    out = np.zeros_like(label_ids)
    for value in np.unique(label_ids):
        mask = cv2.erode((label_ids == value).astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
        out[mask > 0] = value
    return out


#: Layouts `generate_synthetic_layout` writes.
SYNTHETIC_LAYOUTS: tuple[str, ...] = (
    "cityscapes", "mapillary", "mapillary_v2", "bdd100k", "idd", "kitti",
)  # fmt: skip

# Cityscapes labelIds drawn by the renderer -> the label (readable name) that
# each native label space uses for it.
_MAPILLARY_NAMES = {
    _EGO: "Ego Vehicle", _GROUND: "Pedestrian Area", _ROAD: "Road", _SIDEWALK: "Sidewalk",
    _PARKING: "Parking", _BUILDING: "Building", _WALL: "Wall", _FENCE: "Fence", _POLE: "Pole",
    _LIGHT: ("Traffic Light", "Traffic Light - General (Upright)"),
    _SIGN: "Traffic Sign (Front)", _VEGETATION: "Vegetation", _TERRAIN: "Terrain", _SKY: "Sky",
    _PERSON: "Person", _RIDER: "Bicyclist", _CAR: "Car", _BUS: "Bus", _BICYCLE: "Bicycle",
}  # fmt: skip
_IDD_LEVEL3 = {
    _EGO: 255, _GROUND: 3, _ROAD: 0, _SIDEWALK: 2, _PARKING: 1, _BUILDING: 22, _WALL: 14,
    _FENCE: 15, _POLE: 20, _LIGHT: 19, _SIGN: 18, _VEGETATION: 24, _TERRAIN: 3, _SKY: 25,
    _PERSON: 4, _RIDER: 5, _CAR: 9, _BUS: 11, _BICYCLE: 7,
}  # fmt: skip


def _lookup(table: dict[int, int]) -> np.ndarray:
    lut = np.full(256, 255, np.uint8)
    for key, value in table.items():
        lut[key] = value
    return lut


def _mapillary_lut(class_names: Sequence[str]) -> np.ndarray:
    index = {name: i for i, name in enumerate(class_names)}
    table = {}
    for label_id, names in _MAPILLARY_NAMES.items():
        names = (names,) if isinstance(names, str) else names
        table[label_id] = next(index[n] for n in names if n in index)
    return _lookup(table)


def _write_palette_png(path: str, values: np.ndarray, palette: np.ndarray) -> None:
    from PIL import Image

    image = Image.fromarray(values.astype(np.uint8), mode="P")
    flat = np.zeros((256, 3), np.uint8)
    flat[: len(palette)] = palette
    image.putpalette(flat.reshape(-1).tolist())
    image.save(path)


def generate_synthetic_layout(
    root: str | os.PathLike,
    layout: str = "cityscapes",
    num_train: int = 80,
    num_val: int = 20,
    image_size: Sequence[int] = (256, 512),
    seed: int = 0,
) -> str:
    """Writes a small synthetic dataset in the on-disk layout of a driving dataset.

    The scenes are those of `render_street_scene`, their labels converted to
    the dataset's native label space, so that each dataset's own loader and
    label mapping run without downloading anything:

    - `"cityscapes"`: `generate_synthetic_cityscapes`.
    - `"mapillary"` / `"mapillary_v2"`: `config.json` (v1.2 release) or
      `config_v2.0.json` listing every label of the version, JPEG images of
      varied sizes (up to 1.5 x `image_size`) in `{training,validation}/images`,
      palette-PNG labels (index = label value) in `{split}/labels` (v1.2) or
      `{split}/v2.0/labels`.
    - `"bdd100k"`: `images/{train,val}/*.jpg`, `labels/{split}/*_train_id.png`
      (Cityscapes trainIds).
    - `"idd"`: `leftImg8bit/{split}/{seq}/{frame}_leftImg8bit.png` and
      `gtFine/{split}/{seq}/{frame}_gtFine_labellevel3Ids.png` (level-3 ids).
    - `"kitti"`: `training/image_2/{i:06d}_10.png` and `training/semantic/`
      (Cityscapes labelIds): always the 200 training images the authors'
      90/10 splits index (`num_train`, `num_val` are not used).

    Args:
        root: str or path. Output folder (created if needed).
        layout: str, defaults to `"cityscapes"`. One of `SYNTHETIC_LAYOUTS`.
        num_train: int, defaults to 80. Training images.
        num_val: int, defaults to 20. Validation images.
        image_size: (height, width), defaults to `(256, 512)`.
        seed: int, defaults to 0. Same arguments, same files.

    Returns:
        `root` as a str.

    Example:
    >>> from keras_sfnet.data import load_dataset
    >>> import tempfile
    >>> root = generate_synthetic_layout(tempfile.mkdtemp(), "idd", num_train=4,
    ...                                  num_val=2, image_size=(64, 128))
    >>> ds = load_dataset("idd", root, "val", training=False)
    """
    from keras_sfnet.data.dataset_info import CITYSCAPES_LABEL_ID_TO_TRAIN_ID, make_palette

    key = str(layout).lower().replace("-", "_")
    if key not in SYNTHETIC_LAYOUTS:
        raise ValueError(
            f"`layout` must be one of {list(SYNTHETIC_LAYOUTS)}. Received: layout={layout!r}"
        )
    if key == "cityscapes":
        return generate_synthetic_cityscapes(
            root, num_train=num_train, num_val=num_val, image_size=image_size, seed=seed
        )
    root = os.fspath(root)
    height, width = (int(v) for v in image_size)
    counts = {"train": int(num_train), "val": int(num_val)}
    if key == "kitti":
        counts = {"train": 200}
    for split, count in counts.items():
        if count < 0:
            raise ValueError(f"`num_{split}` must be >= 0. Received: num_{split}={count!r}")
    layout_id = SYNTHETIC_LAYOUTS.index(key)

    if key.startswith("mapillary"):
        from keras_sfnet.data.mapillary import (
            MAPILLARY_V12_CLASS_NAMES,
            MAPILLARY_V20_CLASS_NAMES,
        )

        v2 = key == "mapillary_v2"
        names = MAPILLARY_V20_CLASS_NAMES if v2 else MAPILLARY_V12_CLASS_NAMES
        palette = make_palette(len(names))
        labels = [
            {"name": name.lower().replace(" ", "-"), "readable": name,
             "color": palette[i].tolist(), "instances": False, "evaluate": name != "Unlabeled"}
            for i, name in enumerate(names)
        ]  # fmt: skip
        os.makedirs(root, exist_ok=True)
        config_name = "config_v2.0.json" if v2 else "config.json"
        with open(os.path.join(root, config_name), "w", encoding="utf-8") as f:
            json.dump({"labels": labels, "version": "2.0" if v2 else "1.2"}, f, indent=1)
        lut = _mapillary_lut(names)
    elif key == "bdd100k":
        lut = _lookup(dict(CITYSCAPES_LABEL_ID_TO_TRAIN_ID))
    elif key == "idd":
        lut = _lookup(_IDD_LEVEL3)
    else:
        lut = np.arange(256, dtype=np.uint8)

    for split_id, (split, count) in enumerate(counts.items()):
        rng = np.random.default_rng((int(seed), layout_id, split_id))
        for i in range(count):
            size = (height, width)
            if key.startswith("mapillary"):  # varied sizes and aspect ratios
                size = (int(height * rng.uniform(1.0, 1.5)), int(width * rng.uniform(1.0, 1.5)))
            image, label_ids = render_street_scene((int(seed), 100 + layout_id, split_id, i), size)
            values = lut[label_ids]
            if key.startswith("mapillary"):
                folder = {"train": "training", "val": "validation"}[split]
                image_dir = os.path.join(root, folder, "images")
                label_dir = os.path.join(root, folder, *(("v2.0",) if v2 else ()), "labels")
                image_path = os.path.join(image_dir, f"synth{split_id}{i:05d}.jpg")
                label_path = os.path.join(label_dir, f"synth{split_id}{i:05d}.png")
            elif key == "bdd100k":
                stem = f"{int(seed):04x}{split_id:02x}{i:02x}-synth{i:05d}"
                image_path = os.path.join(root, "images", split, f"{stem}.jpg")
                label_path = os.path.join(root, "labels", split, f"{stem}_train_id.png")
            elif key == "idd":
                sequence = str(i % 3)
                frame = f"{i:06d}"
                image_path = os.path.join(root, "leftImg8bit", split, sequence, f"{frame}_leftImg8bit.png")
                label_path = os.path.join(root, "gtFine", split, sequence, f"{frame}_gtFine_labellevel3Ids.png")
            else:
                image_path = os.path.join(root, "training", "image_2", f"{i:06d}_10.png")
                label_path = os.path.join(root, "training", "semantic", f"{i:06d}_10.png")
            os.makedirs(os.path.dirname(image_path), exist_ok=True)
            os.makedirs(os.path.dirname(label_path), exist_ok=True)
            cv2.imwrite(image_path, image[..., ::-1])
            if key.startswith("mapillary"):
                _write_palette_png(label_path, values, palette)
            else:
                cv2.imwrite(label_path, values)
        logger.info("Wrote %d synthetic %s %s images to %s.", count, key, split, root)
    return root
