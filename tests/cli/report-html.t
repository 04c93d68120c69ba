#!/bin/sh
# report.html in a real browser: `testbed report` on two committed run
# directories (tests/fixtures/report-html: the flagship cubic_vs_bbr_1pct,
# a sweep with queues and ladders, and the flagship with [event]s added to
# its recorded file, whose changes the charts mark), then Debian's chromium, headless,
# loads each page from file:// with #selftest, which makes the page check
# itself in the browser (see src/report/report_html_js.c) and write what it
# found into the DOM that --dump-dom prints: errors caught (window.onerror,
# a resource that failed to load, console.error), the tables and their rows,
# the SVGs drawn, the interactive charts, a hover and a series switched off
# and on again. Chromium's own console log (stderr) is checked too, and a
# screenshot of each page is kept in build/test-output/report-html/ (or
# $TB_TEST_OUT). No root needed.
. "$(dirname "$0")/../tap.sh"
cd "$TOP" || bail "no top directory"
need_testbed
need_cmd python3 jq
scratch TMP tb-report-html
FX="$TOP/tests/fixtures/report-html"
OUT=${TB_TEST_OUT:-$TOP/build/test-output}/report-html
mkdir -p "$OUT" || bail "mkdir $OUT"

# js FILE EXPR: EXPR (python, on the self-test's JSON as r) of FILE's DOM dump
js() {
	python3 - "$1" "$2" <<'EOF'
import html, json, re, sys
m = re.search(r'<pre id="tb-selftest">(.*?)</pre>', open(sys.argv[1]).read(), re.S)
r = json.loads(html.unescape(m.group(1))) if m else None
v = eval(sys.argv[2]) if r is not None else 'no self-test result in the DOM'
print(json.dumps(v) if not isinstance(v, str) else v)
EOF
}

# The rows of report.md's table under heading HEAD (a "## " or "### " line).
md_rows() {
	awk -v h="$2" '$0 == h { on = 1; next } on && /^#/ { exit }
		on && /^\|/ { n++ } END { print (n > 2 ? n - 2 : 0) }' "$1"
}

# A self-contained page: nothing it loads comes from elsewhere.
self_contained() {
	! grep -Eiq '<script[^>]* src=|<link |<iframe|@import|url\((https?:)?//|(src|href)="(https?:)?//' "$1"
}

# render NAME: `testbed report` of fixture NAME into $TMP/NAME
render() {
	cp -a "$FX/$1" "$TMP/$1" || bail "copy $FX/$1"
	"$TESTBED" report "$TMP/$1" >"$TMP/$1.out" 2>"$TMP/$1.err"
	rc=$?
	case $rc in 0|1) pass "$1: testbed report exits $rc (0 or 1: the verdict)" ;;
	*) fail "$1: testbed report exit $rc"; sed 's/^/# /' "$TMP/$1.err" ;; esac
	ok "$1: report.html written beside report.md" test -s "$TMP/$1/report.html"
	ok "$1: report.html loads nothing from elsewhere (no external script, style, font)" \
		self_contained "$TMP/$1/report.html"
	diag "$1: report.html $(wc -c <"$TMP/$1/report.html") bytes"
}

for d in flagship sweep; do render "$d"; done

# The flagship with [event]s added to its recorded file (a change at 10 s,
# a repeat at 20, 22 and 24 s; the 5 s runs scale them to 1.67, 3.33, 3.67
# and 4 s): report.html marks them on the flows' charts as report.md's
# plots do.
cp -a "$FX/flagship" "$TMP/events" || bail "copy"
jq '.sources[0].text += "\n[event slower]\nat = 10s\nlink = r1-r2\naction = set\nr1.rate = 50mbit\n[event flap]\nat = 20s\nevery = 2s\nuntil = 24s\nlink = r1-r2\naction = set\nr1.loss = 2%\n"' \
	"$FX/flagship/manifest.json" >"$TMP/events/manifest.json" || bail "jq"
"$TESTBED" report "$TMP/events" >/dev/null 2>"$TMP/events.err"
ok "events: testbed report of the flagship with two events" test -s "$TMP/events/report.html"
ev_json() { sed -n 's/.*<script type="application\/json" id="tb-events">\([^<]*\)<\/script>.*/\1/p' "$TMP/events/report.html"; }
is "$(ev_json)" '[{"t":1.666666,"name":"slower","first":true},{"t":3.333333,"name":"flap","first":true},{"t":3.666666,"name":"flap","first":false},{"t":3.999999,"name":"flap","first":false}]' \
	"events: the page carries the four changes at their times in the measured time"
ev_charts=$(grep -o '"t0":' "$TMP/events/report.html" | wc -l)
ev_md=$(grep -c '^set arrow from' "$TMP/events/plots/plots.gp")
diag "events: $ev_charts charts on a flow's time axis; report.md's plots draw $ev_md lines"

# Without libjs-dygraphs: the tables and SVGs stay, and the page says so.
cp -a "$FX/flagship" "$TMP/nodyg" || bail "copy"
TESTBED_DYGRAPHS=/nonexistent/dygraph.min.js "$TESTBED" report "$TMP/nodyg" >/dev/null 2>&1
ok "without dygraphs the page says the interactive plots need libjs-dygraphs" \
	grep -q 'interactive plots need libjs-dygraphs' "$TMP/nodyg/report.html"
ok "without dygraphs the page still has the Results table and the SVGs" \
	sh -c "grep -q 'data-table=\"results\"' '$TMP/nodyg/report.html' && grep -q '<figure class=\"svgplot\"><figcaption>' '$TMP/nodyg/report.html'"

command -v chromium >/dev/null 2>&1 || skip_all "needs chromium (apt-get install chromium; make check installs it)"

# browse NAME: the page of $TMP/NAME with #selftest, its DOM into
# $TMP/NAME.dom, chromium's log into $TMP/NAME.log, a screenshot into $OUT
browse() {
	url="file://$TMP/$1/report.html"
	timeout 90 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$TMP/profile" --enable-logging=stderr --v=0 \
		--virtual-time-budget=10000 --dump-dom "$url#selftest" >"$TMP/$1.dom" 2>"$TMP/$1.log"
	rm -f "$OUT/$1.png"
	timeout 90 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$TMP/profile" --window-size=1300,6000 --virtual-time-budget=10000 \
		--screenshot="$OUT/$1.png" "$url" >/dev/null 2>&1
}

# page NAME: what a reader of page NAME sees, checked in the browser
page() {
	n=$1; d="$TMP/$n"; dom="$TMP/$n.dom"
	browse "$n"
	diag "$n: self-test: $(js "$dom" r)"
	is "$(js "$dom" "r['errors']")" "[]" "$n: no error in the page (uncaught, failed load, console.error)"
	con=$(grep 'CONSOLE' "$TMP/$n.log")
	is "$con" "" "$n: nothing in chromium's console log"
	cases=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["cases"]))' "$d/summary.json")
	is "$(js "$dom" "r['tables'].get('results')")" "$cases" "$n: the Results table has a row per case ($cases)"
	for t in network:'## Network' nodes:'### Counters and socket states' queues:'### Queues' \
		processes:'## Processes'; do
		id=${t%%:*}; want=$(md_rows "$d/report.md" "${t#*:}")
		[ "$want" -eq 0 ] && continue
		is "$(js "$dom" "r['tables'].get('$id')")" "$want" "$n: the $id table has report.md's $want rows"
	done
	is "$(js "$dom" "r['tables'].get('run', 0) > 5")" true "$n: the header table (file, kernel, runs, verdict)"
	nex=$(grep -c '^- \*\*\(HELD\|NOT HELD\)\*\*' "$d/report.md")
	ok "$n: an expectations table ($nex expectations in report.md)" \
		test "$(js "$dom" "r['tables'].get('expectations', 0) >= $nex")" = true
	nsvg=$(grep -c '^!\[' "$d/report.md")
	is "$(js "$dom" "r['svgs']")" "$nsvg" "$n: every SVG plot of report.md is drawn inline ($nsvg)"
	nts=$(ls "$d/plots" | grep -Ec '_(throughput|latency|cwnd|retrans|tcp_c[0-9]+)\.dat$')
	is "$(js "$dom" "r['charts']")" "$nts" "$n: an interactive chart per time series file plots/*.dat ($nts)"
	is "$(js "$dom" "r['toggle']['visible_before'], r['toggle']['visible_after_click'], r['toggle']['visible_after_second_click']")" \
		"[true, false, true]" "$n: a series' checkbox hides it and shows it again"
	is "$(js "$dom" "r['toggle']['pixels_changed'], r['toggle']['pixels_restored']")" "[true, true]" \
		"$n: hiding the series changes the drawing, showing it restores it"
	ok "$n: hovering shows the values at that time in the legend ($(js "$dom" "r.get('hover_legend')"))" \
		test "$(js "$dom" "bool(re.search(r':.*[0-9]', r.get('hover_legend') or ''))")" = true
	is "$(js "$dom" "r.get('hover_values')")" "$(js "$dom" "r.get('first_chart_series')")" \
		"$n: ... a value for every series of the plot"
	ok "$n: screenshot $OUT/$n.png" test -s "$OUT/$n.png"
	diag "screenshot: $OUT/$n.png ($(wc -c <"$OUT/$n.png") bytes)"
}

page flagship
page sweep
is "$(js "$TMP/sweep.dom" "r['ladders']")" 4 "sweep: a ladder per case (4)"
is "$(js "$TMP/sweep.dom" "all(s in r['sections'] for s in ['network', 'results', 'nodes', 'queues', 'expectations', 'ladders', 'timeseries', 'plots'])")" \
	true "sweep: every section is there (Network, Results, Counters, Queues, Expectations, Ladders, Time series, Plots)"

page events
is "$(js "$TMP/events.dom" "r['events'], r['event_marks']")" "[4, $((4 * ev_charts))]" \
	"events: a dotted line per change on each of the $ev_charts flow charts, as report.md's plots ($ev_md)"
is "$(js "$TMP/flagship.dom" "r['event_marks']")" 0 "flagship (no events): no line drawn"

browse nodyg
is "$(js "$TMP/nodyg.dom" "r['errors'], r['charts'], r['nojs'], r['svgs'] > 0")" "[[], 0, true, true]" \
	"without dygraphs: no error, no chart, the note, the SVGs"
done_testing
