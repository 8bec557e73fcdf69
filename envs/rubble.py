"""What the quadruped-on-rubble scenarios share: the seeded terrain, a standing start, the state
estimate.

Locomotion-v0 and QuadrupedRescue-v0 both walk a quadruped over a rubble field
from :mod:`robodojo.sim_assets.terrain`, regenerated at every reset from the
env's seed (one heightfield whose heights are swapped in place, plus loose
debris at high difficulty), and both read the body velocity in the heading
frame — what a real quadruped's state estimator reports.
"""

from __future__ import annotations

import math

import numpy as np

from robodojo.envs.quadruped import QuadrupedTask
from robodojo.interface import Field
from robodojo.physics import Sim
from robodojo.sim_assets.debris import DebrisField
from robodojo.sim_assets.terrain import Terrain, TerrainBody, generate_terrain

#: Below this body-z·world-z the robot counts as fallen (about 60° of tilt).
FALLEN_UP_Z = 0.5
#: ... or with its base this low over the ground under it, as a fraction of its standing height.
FALLEN_HEIGHT_FRACTION = 0.4
#: Stand this long under PD on the start pose before the first observation (legs take the load).
SETTLE_SECONDS = 0.3
#: The site's edge: further out than this from the terrain border counts as leaving it.
SITE_MARGIN = 0.05
#: Sensor ranges of the extra observations (clipped like the IMU's).
VELOCITY_RANGE = 5.0  # m/s


#: The body velocity both rubble scenarios observe, in the heading frame (x forward, level).
BODY_VELOCITY = Field(
    "base_linear_velocity",
    3,
    "m/s",
    "state estimator (e.g. unitree_legged_msgs HighState velocity)",
    -VELOCITY_RANGE,
    VELOCITY_RANGE,
    frame="heading (yaw-only)",
)


def check_difficulty(difficulty: float) -> float:
    if isinstance(difficulty, bool) or not isinstance(difficulty, (int, float, np.number)):
        raise ValueError(f"difficulty must be a number in [0, 1], got {difficulty!r}")
    value = float(difficulty)
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError(f"difficulty must be in [0, 1], got {difficulty!r}")
    return value


class TerrainQuadrupedTask(QuadrupedTask):
    """A quadruped standing on a fresh rubble field of ``difficulty`` at every reset
    (``reset(difficulty=d)`` overrides it)."""

    def __init__(
        self,
        robot: str,
        difficulty: float,
        max_target_speed: float,
        control_dt: float,
        physics_dt: float,
    ) -> None:
        super().__init__(robot, max_target_speed, control_dt, physics_dt)
        self.difficulty = check_difficulty(difficulty)
        self.terrain: Terrain = generate_terrain(np.random.default_rng(0), 0.0)

    # -- scene -----------------------------------------------------------------
    def build(self, sim: Sim) -> None:
        self.sim = sim
        self.terrain_body = TerrainBody(sim, self.terrain)
        self.ground_id = self.terrain_body.body
        self.debris = DebrisField(sim)
        self.robot.load(sim, position=(0.5, 0.0, 1.0))

    def new_terrain(self, rng: np.random.Generator, difficulty: float | None = None) -> None:
        """Draw this episode's rubble field (at ``difficulty`` if given, else the env's)."""
        if difficulty is not None:
            self.difficulty = check_difficulty(difficulty)
        self.terrain = generate_terrain(rng, self.difficulty)
        self.terrain_body.update(self.terrain)

    def scatter_debris(
        self, rng: np.random.Generator, keep_clear: list[tuple[float, float, float]]
    ) -> None:
        self.debris.scatter(rng, self.terrain, keep_clear)

    def stand_at(self, x: float, y: float, yaw: float) -> None:
        """Put the robot in its home pose just above the ground at (x, y) and let the legs take its
        weight."""
        spec = self.spec
        ground = self.ground_under(x, y)
        orientation = self.sim.client.getQuaternionFromEuler([0.0, 0.0, yaw])
        # Lift the robot clear and run a collision pass first: Bullet keeps contact manifolds (and
        # warm-starts the solver from their impulses) while bodies stay close, so a robot put back
        # where the last episode stood would start from that episode's contacts, and the same seed
        # would not replay.
        self.robot.move_base([x, y, ground + 10.0], orientation)
        self.sim.client.performCollisionDetection()
        self.robot.reset([x, y, ground + spec.standing_height + 0.02], orientation, spec.home)
        for _ in range(int(round(SETTLE_SECONDS / self.physics_dt))):
            self.robot.step_physics()
        self.start_position = np.array([x, y, ground])
        self.start_yaw = yaw
        self.start_episode()

    def ground_under(self, x: float, y: float, radius: float = 0.25) -> float:
        """Highest terrain point within ``radius`` of (x, y) (what the feet may stand on)."""
        t = self.terrain
        i, j = t.index(x, y)
        r = int(math.ceil(radius / t.cell))
        patch = t.heights[max(i - r, 0) : i + r + 1, max(j - r, 0) : j + r + 1]
        return float(patch.max())

    # -- state -----------------------------------------------------------------
    def _refresh_state(self) -> None:
        super()._refresh_state()
        rotation = self.rotation
        self.yaw = math.atan2(rotation[1, 0], rotation[0, 0])
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        vx, vy, vz = self.base_linear_velocity
        #: body velocity in the heading frame (x forward, level): what a state estimator reports
        self.heading_velocity = np.array([c * vx + s * vy, -s * vx + c * vy, vz])
        self.yaw_rate = float(
            self.gyro @ self.rotation.T[:, 2]
        )  # world z rate from the body-frame gyro

    def fallen(self) -> bool:
        up = self.rotation[2, 2]
        x, y, z = self.base_position
        low = z - self.terrain.height_at(x, y) < FALLEN_HEIGHT_FRACTION * self.spec.standing_height
        return bool(up < FALLEN_UP_Z or low)

    def off_site(self) -> bool:
        """Whether the base has left the terrain (beyond it there is nothing to stand on)."""
        x, y, _ = self.base_position
        t = self.terrain
        return bool(
            not SITE_MARGIN < x < t.length - SITE_MARGIN or abs(y) > t.width / 2 - SITE_MARGIN
        )

    def is_truncated(self) -> bool:
        return self.off_site()

    def velocity_observation(self) -> np.ndarray:
        return np.clip(self.heading_velocity, -VELOCITY_RANGE, VELOCITY_RANGE)

    def camera_target(self) -> np.ndarray:
        return self.base_position.copy()
