"""Child-process entry that imports TensorFlow, so its log noise and memory stay out of the UI.

Run as `python -m tui.tf_child probe`: prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys


def probe() -> None:
    """Print TensorFlow's and Keras' versions and the physical devices as one JSON line."""
    import keras
    import tensorflow as tf

    devices = tf.config.list_physical_devices()
    prefix = "/physical_device:"
    build = tf.sysconfig.get_build_info()
    print(json.dumps({
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "devices": [d.name.removeprefix(prefix) for d in devices],
        "gpus": [d.name.removeprefix(prefix) for d in devices if d.device_type == "GPU"],
        "built_with_cuda": bool(build.get("is_cuda_build", False)),
    }))


def main() -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    commands = {"probe": probe}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        print(f"usage: python -m tui.tf_child {{{','.join(commands)}}}", file=sys.stderr)
        return 2
    commands[sys.argv[1]]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
