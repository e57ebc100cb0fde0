# No ifupdown stanzas from the debootstrap element: NetworkManager owns every NIC
# (Cockpit's network page only shows what NetworkManager manages).
export DIB_APT_MINIMAL_CREATE_INTERFACES=0
export DIB_OPENSBC_STAGE=${DIB_OPENSBC_STAGE:?build.py sets DIB_OPENSBC_STAGE}
# `build.py --packages-from`: apt reads the pinned versions from the staging folder.
# (This file is read outside the chroot, where the staging folder is DIB_OPENSBC_STAGE,
# and inside it, where it is /tmp/in_target.d/opensbc.)
if [ -f "$DIB_OPENSBC_STAGE/apt-pins.conf" ] || [ -f /tmp/in_target.d/opensbc/apt-pins.conf ]; then
    export APT_CONFIG=/tmp/in_target.d/opensbc/apt-pins.conf
fi
