#!/bin/sh
# A plain shell script instrumented with nullspan markers: nothing but `echo ... > /dev/null`.
# Run it under `nullspan` to see the spans with the file system calls made inside them; it works unchanged
# under sysdig's tracer syntax too (sdk/MARKERS.md). Everything it writes goes to a temp dir it removes.
#
#   >:ID:TAGS:ARGS:   enter      <:ID:TAGS:ARGS:   exit
#   ID t = this shell's thread id; pp = the writer's parent (the shell, when a child process writes the marker)
set -eu

work=$(mktemp -d "${TMPDIR:-/tmp}/nullspan-shell-XXXXXX")
trap 'rm -rf "$work"' EXIT

echo ">:t:job:script=markers.sh,dir=$work:" > /dev/null

  # nested span (tags job -> job.prepare), file work done by the shell itself (builtins: same thread)
  echo '>:t:job.prepare::' > /dev/null
  i=0
  while [ "$i" -lt 200 ]; do
    printf 'line %s of some generated input\n' "$i" >> "$work/input.txt"
    i=$((i + 1))
  done
  echo "<:t:job.prepare:lines=$i:" > /dev/null

  # a span around child processes (cp, sha256sum): their system calls happen in other processes
  echo '>:t:job.process::' > /dev/null
    echo '>:t:job.process.copy:from=input.txt,to=copy.txt:' > /dev/null
    cp "$work/input.txt" "$work/copy.txt"
    echo '<:t:job.process.copy::' > /dev/null

    echo '>:t:job.process.checksum::' > /dev/null
    sum=$(sha256sum "$work/copy.txt" | cut -c1-16)
    echo "<:t:job.process.checksum:sha256=$sum:" > /dev/null
  echo '<:t:job.process::' > /dev/null

  # markers written by helper processes (/bin/echo, a new process each time): ID t would differ between the two,
  # pp is this shell for both, so enter and exit pair up (the span belongs to the writing helper process)
  /bin/echo '>:pp:job.helper::' > /dev/null
  ls -l "$work" > "$work/listing.txt"
  /bin/echo '<:pp:job.helper::' > /dev/null

  # args with characters the grammar reserves are escaped with a backslash (printf: echo may eat backslashes)
  printf '%s\n' '>:t:job.report:title=size\, lines\: and bytes,ratio=1\=1:' > /dev/null
  bytes=$(wc -c < "$work/copy.txt")
  printf '%s\n' "<:t:job.report:bytes=$bytes:" > /dev/null

echo "<:t:job:status=ok:" > /dev/null
echo "done: $i lines, $bytes bytes, sha256 $sum"
