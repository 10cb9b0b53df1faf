# clusternet-cni's start path (clusternet-cni.sh) reads JSON with this program, in the C
# locale (bytes), with any POSIX awk (mawk, gawk). It validates the whole text as JSON
# (RFC 8259: strings, escapes, numbers, literals, nesting) and answers only what the start
# path needs; whenever it is not sure it says so, and the call goes to the Node plugin,
# which gives the answer or the spec's error. So it is a strict subset of JSON.parse: it
# refuses a top-level key written with escapes or given twice, and nesting deeper than 64.
#
# mode=conf (the runtime's network config on stdin) prints "ok" and five lines, each
# behind a letter so that none is empty: v<cniVersion>, n<name>, c<config or nothing>,
# i<node or nothing>, p<the runtime's args, runtimeConfig and prevResult as `,"key":value`,
# what the Node plugin passes to the delegate>; or "no" when it is not sure. Then the text
# it read, for the Node plugin should the start path hand the call over.
# mode=error (a delegate's stdout after it failed; version, type and rc given): prints it
# as it is and exits 0 when it is the spec's error JSON (an object whose "code" is a number
# and "msg" a string), else prints clusternet-cni's error 101 around it and exits 1.

{ text = text (NR > 1 ? "\n" : "") $0 }

END {
  s = text; n = length(s); pos = 1; depth = 0; bad = 0; keys = 0
  ws()
  if (substr(s, pos, 1) == "{") object(1); else bad = 1
  if (!bad) { ws(); if (pos <= n) bad = 1 }
  if (mode == "error") { error_reply(); exit }
  if (bad) { print "no"; printf "%s", text; exit }
  conf_reply()
  printf "%s", text
}

function ws() { while (pos <= n && index(" \t\n\r", substr(s, pos, 1)) > 0) pos++ }

# A string at pos (which is '"'); returns its raw text, quotes included.
function string(   start, c, run) {
  start = pos++
  while (!bad) {
    if (pos > n) { bad = 1; break }
    c = substr(s, pos, 1)
    if (c == "\"") { pos++; return substr(s, start, pos - start) }
    if (c == "\\") {
      c = substr(s, pos + 1, 1)
      if (index("\"\\/bfnrt", c) > 0) pos += 2
      else if (c == "u" && substr(s, pos + 2, 4) ~ /^[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]$/) pos += 6
      else bad = 1
      continue
    }
    # A run of plain characters at once; a control character is not JSON.
    if (match(substr(s, pos), /^[^"\\]+/)) {
      run = substr(s, pos, RLENGTH)
      if (run ~ /[\001-\037]/) { bad = 1; break }
      pos += RLENGTH
    }
  }
  return ""
}

function number() {
  if (match(substr(s, pos), /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) pos += RLENGTH
  else bad = 1
}

function literal(word) {
  if (substr(s, pos, length(word)) == word) pos += length(word); else bad = 1
}

# A value at pos.
function value(   c) {
  if (bad) return
  c = substr(s, pos, 1)
  if (c == "{") object(0)
  else if (c == "[") array()
  else if (c == "\"") string()
  else if (c == "t") literal("true")
  else if (c == "f") literal("false")
  else if (c == "n") literal("null")
  else if (c == "-" || c ~ /[0-9]/) number()
  else bad = 1
}

# An object at pos; the outer one's members are recorded.
function object(outer,   key, start) {
  if (++depth > 64) { bad = 1; return }
  pos++; ws()
  if (substr(s, pos, 1) == "}") { pos++; depth--; return }
  while (!bad) {
    if (substr(s, pos, 1) != "\"") { bad = 1; break }
    key = string(); ws()
    if (bad || substr(s, pos, 1) != ":") { bad = 1; break }
    pos++; ws(); start = pos
    value()
    if (bad) break
    if (outer) member(key, substr(s, start, pos - start))
    ws()
    if (substr(s, pos, 1) == ",") { pos++; ws(); continue }
    if (substr(s, pos, 1) == "}") { pos++; depth--; return }
    bad = 1
  }
}

function array() {
  if (++depth > 64) { bad = 1; return }
  pos++; ws()
  if (substr(s, pos, 1) == "]") { pos++; depth--; return }
  while (!bad) {
    value(); if (bad) break
    ws()
    if (substr(s, pos, 1) == ",") { pos++; ws(); continue }
    if (substr(s, pos, 1) == "]") { pos++; depth--; return }
    bad = 1
  }
}

# The outer object's members, by name (a name with an escape could spell one of ours).
function member(key, raw,   name) {
  if (index(key, "\\") > 0) { bad = 1; return }
  name = substr(key, 2, length(key) - 2)
  if (name in member_value) { bad = 1; return }
  member_value[name] = raw
}

# A member's string content when it is a string without escapes, else "" and ok = 0.
function plain(name,   raw) {
  ok = 0
  if (!(name in member_value)) return ""
  raw = member_value[name]
  if (raw !~ /^"/ || index(raw, "\\") > 0) return ""
  ok = 1
  return substr(raw, 2, length(raw) - 2)
}

function conf_reply(   version, name, config, node, passed, i, key, raw) {
  version = plain("cniVersion")
  if (!ok || version !~ /^[0-9][0-9.]*$/) { print "no"; return }
  name = plain("name")
  if (!ok || name !~ /^[A-Za-z0-9][A-Za-z0-9_.-]*$/) { print "no"; return }
  config = ""
  if ("config" in member_value) { config = plain("config"); if (!ok || config !~ /^\//) { print "no"; return } }
  node = ""
  if ("node" in member_value) {
    node = member_value["node"]
    if (node !~ /^[1-9][0-9]*$/ || length(node) > 15) { print "no"; return }
  }
  passed = ""
  split("args runtimeConfig prevResult", key, " ")
  for (i = 1; i <= 3; i++) {
    if (!(key[i] in member_value)) continue
    raw = member_value[key[i]]
    # Outside strings only: a raw line break or tab inside one is not JSON (refused above).
    gsub(/[\n\r\t]/, " ", raw)
    passed = passed ",\"" key[i] "\":" raw
  }
  print "ok"; print "v" version; print "n" name; print "c" config; print "i" node; print "p" passed
}

function error_reply(   code, msg, details) {
  code = member_value["code"]; msg = member_value["msg"]
  if (!bad && code ~ /^-?[0-9]/ && msg ~ /^"/) { printf "%s", text; exit 0 }
  details = text
  sub(/^[ \t\n\r]+/, "", details); sub(/[ \t\n\r]+$/, "", details)
  printf "{\"cniVersion\":\"%s\",\"code\":101,\"msg\":\"the delegate plugin \\\"%s\\\" failed (exit %s)\"", version, type, rc
  if (details != "") printf ",\"details\":\"%s\"", escape(details)
  printf "}\n"
  exit 1
}

# JSON string escaping, as JSON.stringify writes it.
function escape(t,   out, i, c, code, parts, count) {
  # Backslashes first, without gsub: what "\\" means in a replacement differs between awks.
  count = split(t, parts, "\\")
  t = parts[1]
  for (i = 2; i <= count; i++) t = t "\\\\" parts[i]
  gsub(/"/, "\\\"", t)
  gsub(/\n/, "\\n", t); gsub(/\r/, "\\r", t); gsub(/\t/, "\\t", t)
  gsub(/\010/, "\\b", t); gsub(/\014/, "\\f", t)
  if (t !~ /[\001-\037]/) return t
  out = ""
  for (i = 1; i <= length(t); i++) {
    c = substr(t, i, 1)
    if (c ~ /[\001-\037]/) { code = index(CONTROLS, c); out = out sprintf("\\u%04x", code) }
    else out = out c
  }
  return out
}

BEGIN {
  for (i = 1; i < 32; i++) CONTROLS = CONTROLS sprintf("%c", i)
}
