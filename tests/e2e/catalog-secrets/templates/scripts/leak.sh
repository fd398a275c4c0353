#!/bin/sh
# Prints its secrets in every form a tool may print them in.
v=$DB_PASSWORD
printf 'raw: %s\n' "$v"
for pre in '' 'x' 'xy'; do
	printf '%s%s' "$pre" "$v" | base64 -w0; echo
	printf '%s%s\n' "$pre" "$v" | base64 -w0 | tr '+/' '-_'; echo
done
/usr/bin/python3 - <<'PY'
import os, urllib.parse, json, sys
v = os.environ["DB_PASSWORD"]
print("url:", urllib.parse.quote(v, safe=""))
print("form:", urllib.parse.quote_plus(v))
print("json:", json.dumps({"password": v}))
print("ascii-json:", json.dumps(v, ensure_ascii=True))
sys.stdout.flush()
# split across writes, and across stdout and stderr
half = len(v) // 2
os.write(1, ("split: " + v[:half]).encode())
os.write(1, (v[half:] + "\n").encode())
os.write(1, ("cross: " + v[:half]).encode())
os.write(2, (v[half:] + "\n").encode())
PY
printf 'file mode %s\n' "$(stat -c %a "$TLS_KEY_FILE")"
echo "key file says:"; cat "$TLS_KEY_FILE"
printf "token=%s\n" "$v" >>"$VEND_OUTPUT"
echo "done"
