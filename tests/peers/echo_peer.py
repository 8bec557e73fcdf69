"""A second process for the DDS tests: echoes every bridge message type back, as a ROS 2 node would
see it.

For each topic message it subscribes ``/ping/<Type>`` and republishes what it
receives on ``/pong/<Type>``, with the QoS ROS 2 uses for that type (sensor
data for JointState and Imu, the default profile otherwise). It prints
``ready`` once its endpoints exist and exits cleanly when stdin closes.

Run as ``python echo_peer.py`` with ``CYCLONEDDS_URI`` and ``ROS_DOMAIN_ID`` set.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for dds_support

from dds_support import QOS

from robodojo.bridge.connect import open_transport


def main() -> None:
    transport = open_transport("dds", node_name="echo_peer")
    for message_type, qos in QOS.items():
        publisher = transport.publisher(f"/pong/{message_type.__name__}", message_type, qos)
        transport.subscribe(f"/ping/{message_type.__name__}", message_type, publisher.publish, qos)
    print("ready", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    transport.close()
    print("closed", flush=True)


if __name__ == "__main__":
    main()
