"""Open the transport a deployment asks for: rclpy when a ROS 2 installation has it, else plain DDS.

Both implementations are imported only here, when asked for, so importing
the bridge needs neither a ROS 2 installation nor the ``ros`` extra.
"""

from __future__ import annotations

from robodojo.bridge.transport import Transport, domain_id, rclpy_available


def open_transport(
    kind: str = "auto", domain: int | None = None, node_name: str = "robodojo"
) -> Transport:
    """Open a transport: ``"rclpy"``, ``"dds"``, or ``"auto"`` (rclpy if importable, else DDS)."""
    if kind not in ("auto", "rclpy", "dds"):
        raise ValueError(f"transport must be auto, rclpy or dds, got {kind!r}")
    if kind == "rclpy" or (kind == "auto" and rclpy_available()):
        from robodojo.bridge.rclpy_transport import RclpyTransport

        return RclpyTransport(domain_id(domain), node_name)
    from robodojo.bridge.dds import DdsTransport

    return DdsTransport(domain_id(domain), node_name)
