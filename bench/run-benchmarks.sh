#!/bin/sh
# Runs each benchmark program given, with a heading; a failing one is
# reported and the others still run. Exit status: 1 if any failed.
status=0
for program in "$@"; do
    printf '\n== %s\n' "$(basename "$program")"
    "$program" || { echo "== $(basename "$program") FAILED"; status=1; }
done
exit $status
