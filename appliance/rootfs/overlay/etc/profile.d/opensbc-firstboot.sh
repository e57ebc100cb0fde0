# Starts the first-boot wizard at root's first login on the console (tty1, ttyS0).
# The installer leaves /etc/opensbc/firstboot-pending; the wizard removes it when done.
if [ "$(id -u)" = 0 ] && [ -e /etc/opensbc/firstboot-pending ] && [ -z "${OPENSBC_NO_FIRSTBOOT:-}" ]; then
    case "$(tty 2>/dev/null)" in
        /dev/tty1|/dev/ttyS0) command -v firstboot >/dev/null && firstboot --auto ;;
    esac
fi
