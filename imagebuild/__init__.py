"""The ISO build pipeline behind build.py: rootfs (diskimage-builder) -> squashfs -> ISO."""
