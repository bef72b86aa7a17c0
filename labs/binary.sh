# The cavra binary the labs run, for labs/lib.sh and labs/run-all.sh: CAVRA when set (a relative path from the
# current directory, else from the checkout), else .build/debug/cavra of this checkout, built with `swift build`
# when missing. Needs REPO; `resolve_cavra PREFIX` sets and exports CAVRA, PREFIX starting its progress line.
resolve_cavra() {
    if [[ -n "${CAVRA:-}" ]]; then
        case "$CAVRA" in
            /*) ;;
            *) if [[ -x "$PWD/$CAVRA" ]]; then CAVRA="$PWD/$CAVRA"; else CAVRA="$REPO/$CAVRA"; fi ;;
        esac
    else
        CAVRA="$REPO/.build/debug/cavra"
        if [[ ! -x "$CAVRA" ]]; then
            echo "${1}building cavra (swift build --product cavra)"
            (cd "$REPO" && swift build --product cavra) >&2
        fi
    fi
    export CAVRA
}
