# Setup shared by the obs-*.t tests; source after tap.sh and need_root:
#   . "$(dirname "$0")/lib-obs.sh"
# obs_setup NAME: DRV is the obs_driver test program (skip unless built); A and
# B are two new namespaces and OUT a scratch directory (/tmp/tbo-NAME.*), all
# removed on exit. The caller joins A and B (veth_join) once they are set up.
obs_setup() {
	DRV="$TOP/tests/unit/obs_driver.t"
	[ -x "$DRV" ] || skip_all "build first: make tests/unit/obs_driver.t"
	A=tbo-$$-a B=tbo-$$-b
	scratch OUT "tbo-$1"
	netns_new $A $B
}
