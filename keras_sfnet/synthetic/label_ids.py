"""The Cityscapes labelIds the synthetic street-scene renderer draws.

Example:
>>> ROAD, SKY
(7, 23)
"""

__all__ = [
    "BICYCLE", "BUILDING", "BUS", "CAR", "EGO", "FENCE", "GROUND", "LIGHT", "PARKING",
    "PERSON", "POLE", "RIDER", "ROAD", "SIDEWALK", "SIGN", "SKY", "TERRAIN", "VEGETATION",
    "WALL",
]  # fmt: skip

EGO, GROUND, ROAD, SIDEWALK, PARKING = 1, 6, 7, 8, 9
BUILDING, WALL, FENCE, POLE = 11, 12, 13, 17
LIGHT, SIGN, VEGETATION, TERRAIN, SKY = 19, 20, 21, 22, 23
PERSON, RIDER, CAR, BUS, BICYCLE = 24, 25, 26, 28, 33
