"""The one multi-instance federation rig every federation test uses."""

from .instance import AS2, Instance, ProcessInstance, WorkerProcess, free_port, wait_for

__all__ = ["AS2", "Instance", "ProcessInstance", "WorkerProcess", "free_port", "wait_for"]
