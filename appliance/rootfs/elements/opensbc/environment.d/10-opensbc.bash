# No ifupdown stanzas from the debootstrap element: NetworkManager owns every NIC
# (Cockpit's network page only shows what NetworkManager manages).
export DIB_APT_MINIMAL_CREATE_INTERFACES=0
export DIB_OPENSBC_STAGE=${DIB_OPENSBC_STAGE:?build.py sets DIB_OPENSBC_STAGE}
