# follow_guest PID LOG [EVERY]: the guest's progress while PID runs, so that CI is never silent
# while it boots (sourced by run.sh): each `RIG ` line of LOG as it comes, and a line
# "guest running N s" every EVERY seconds (60).
follow_guest() {
    local pid=$1 log=$2 every=${3:-60} started ticker
    started=$(date +%s)
    (while sleep "$every"; do echo "guest running $(($(date +%s) - started)) s"; done) &
    ticker=$!
    tail --pid="$pid" -n +1 -f "$log" \
        | grep -a --line-buffered 'RIG ' | sed -u 's/^.*\(RIG \)/\1/' || true
    kill "$ticker" 2>/dev/null || true
}
