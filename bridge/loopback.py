"""A loopback-only CycloneDDS setup for tests and local sim-in-the-loop runs.

CycloneDDS (the Python wheel and Debian's C library alike, and so ROS 2 on
rmw_cyclonedds) reads its configuration from ``CYCLONEDDS_URI`` when a domain
is first created in a process. :func:`loopback_env` gives the environment that
keeps every participant on 127.0.0.1 with unicast discovery (the container's
``lo`` has no multicast), on a domain id of its own, so test runs neither leak
onto the network nor hear each other or a real robot::

    env = loopback_env(run_domain_id())
    os.environ.update(env)            # this process (before its first participant)
    subprocess.run([...], env={**os.environ, **env})   # and its peers
"""

from __future__ import annotations

import os

#: Unicast discovery probes participant indices 0..this on 127.0.0.1; a test run has far fewer
#: participants.
MAX_PARTICIPANT_INDEX = 32


def loopback_config(max_participant_index: int = MAX_PARTICIPANT_INDEX) -> str:
    """CycloneDDS XML (valid for 0.10.x and 11.x) that uses only the loopback interface, without
    multicast."""
    return (
        '<CycloneDDS><Domain Id="any">'
        '<General><Interfaces><NetworkInterface address="127.0.0.1"/></Interfaces>'
        "<AllowMulticast>false</AllowMulticast></General>"
        "<Discovery><ParticipantIndex>auto</ParticipantIndex>"
        f"<MaxAutoParticipantIndex>{max_participant_index}</MaxAutoParticipantIndex>"
        '<Peers><Peer Address="127.0.0.1"/></Peers></Discovery>'
        "</Domain></CycloneDDS>"
    )


def run_domain_id(pid: int | None = None) -> int:
    """A domain id for one test run, derived from the pid: 1..100.

    Never 0 (ROS 2's default), and at most 101 so that the domain's UDP ports
    (7400 + 250 * id + ...) stay below Linux's ephemeral range (32768+), as
    the ROS 2 docs advise.
    """
    return 1 + (os.getpid() if pid is None else pid) % 100


def loopback_env(domain: int) -> dict[str, str]:
    """Environment variables for a process joining ``domain`` on loopback only."""
    return {"CYCLONEDDS_URI": loopback_config(), "ROS_DOMAIN_ID": str(domain)}
