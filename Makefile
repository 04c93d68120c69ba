# testbed: build, test, sanitize and fuzz.
#
#   make            build ./testbed, the workers and the test programs
#   make run        install missing packages, build, run the flagship experiment
#   make check      install missing packages (and chromium for the tests), build, run the TAP suite
#   make sanitize   the same suite built with ASan + UBSan
#   make fuzz       libFuzzer run of the config parser (FUZZ_TIME=seconds)
#   V=1             show the commands

VERSION  := 0.1.0
PKGS     := inih libnl-3.0 libnl-route-3.0 libmnl libpcap jansson gnutls
CC       ?= cc
SAN      ?= 0

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
            -Wno-missing-field-initializers -fno-strict-aliasing
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
  CFLAGS += -Wno-format-truncation
endif
CPPFLAGS += -D_GNU_SOURCE -DTB_VERSION=\"$(VERSION)\" -Isrc -MMD -MP
LDFLAGS  ?=

ifeq ($(SAN),1)
  BUILD    := build/san
  CFLAGS   += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDFLAGS  += -fsanitize=address,undefined
else
  BUILD    := build/std
endif

ifeq ($(V),1)
  Q :=
  say :=
else
  Q := @
  say = @printf '  %-7s %s\n' $(1) $(2);
endif

# --- orchestrator: one folder per layer, see src/README.md ------------------
LAYERS   := util config net obs vm report run cli
SRC      := $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c))
OBJ      := $(SRC:%.c=$(BUILD)/%.o)
LIB_OBJ  := $(filter-out $(BUILD)/src/cli/main.o,$(OBJ))

# --- workers: one program per workers/<name>.c that has a main -------------
# workers/common*.c is linked into every worker; the rest are programs.
W_COMMON := $(wildcard workers/common*.c)
# workers/web_*.c are the parts of tb-web (workers/web.c), linked only into it
W_WEB    := $(filter-out $(WEB_EXCLUDE),$(wildcard workers/web_*.c))
W_MAINS  := $(filter-out $(W_COMMON) $(wildcard workers/web_*.c),$(wildcard workers/*.c))
W_BINS   := $(W_MAINS:workers/%.c=workers/tb-%)
W_COBJ   := $(W_COMMON:%.c=$(BUILD)/%.o) $(BUILD)/src/util/units.o
W_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null) -lm -lpthread
WEB_PKGS := gnutls libnghttp2 libngtcp2 libngtcp2_crypto_gnutls libnghttp3
W_CFLAGS := $(shell pkg-config --cflags jansson $(WEB_PKGS) 2>/dev/null)
# WEB_EXTRA: more objects for tb-web (a local stand-in while a part is missing)
WEB_EXTRA ?=

# --- tests: tests/unit/<name>.c -> tests/unit/<name>.t ----------------------
T_SRC    := $(wildcard tests/unit/*.c)
T_BINS   := $(T_SRC:%.c=%.t)
T_HELPER := $(BUILD)/tests/tap.o
# tests/fixture.c writes fixture run directories: linked into the tests that use it
T_FIXTURE := $(BUILD)/tests/fixture.o
T_FIXTURED := tests/unit/report.t tests/unit/jain.t

BINS     := testbed $(W_BINS) $(T_BINS)

.PHONY: all deps deps-test run check test sanitize fuzz clean clean-bin
all: $(BINS)

# every object named as a target, so none is an intermediate make deletes
# (a second make then has nothing to do)
$(W_MAINS:%.c=$(BUILD)/%.o) $(W_WEB:%.c=$(BUILD)/%.o) $(W_COBJ) $(T_SRC:%.c=$(BUILD)/%.o) $(T_HELPER) $(T_FIXTURE):

testbed: $(OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm -lpthread

workers/tb-%: $(BUILD)/workers/%.o $(W_COBJ)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(W_LIBS)

workers/tb-web: $(BUILD)/workers/web.o $(W_WEB:%.c=$(BUILD)/%.o) $(W_COBJ) $(BUILD)/src/util/tls_cert.o $(WEB_EXTRA)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(W_LIBS) $(shell pkg-config --libs $(WEB_PKGS) 2>/dev/null)

tests/unit/%.t: $(BUILD)/tests/unit/%.o $(T_HELPER) $(LIB_OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm -lpthread

$(T_FIXTURED): $(T_FIXTURE)

$(BUILD)/src/%.o: src/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/workers/%.o: workers/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Iworkers $(CFLAGS) $(W_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

-include $(shell find build -name '*.d' 2>/dev/null)

# --- setup and the two README commands --------------------------------------
deps:
	@./scripts/install-deps

# deps and what only some tests need (a headless chromium for report.html)
deps-test:
	@./scripts/install-deps --tests

DEFAULT_EXPERIMENT ?= experiments/cubic_vs_bbr_1pct.conf

run: deps
	@$(MAKE) --no-print-directory all
	./testbed run $(DEFAULT_EXPERIMENT)

PROVE_FLAGS ?= --failures --comments --timer
TESTS       ?= tests/unit/*.t tests/cli/*.t tests/integration/*.t
check: deps-test
	@$(MAKE) --no-print-directory all
	prove $(PROVE_FLAGS) $(TESTS)

test: all
	prove $(PROVE_FLAGS) $(TESTS)

sanitize: deps
	@$(MAKE) --no-print-directory clean-bin
	@$(MAKE) --no-print-directory SAN=1 all
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 prove $(PROVE_FLAGS) $(TESTS); \
	  rc=$$?; $(MAKE) --no-print-directory clean-bin; exit $$rc

# --- fuzzing: libFuzzer (clang) on the config parser ------------------------
FUZZ_TIME ?= 60
# the layers a file's check reads: util and config, and the address plan
FUZZ_LIB  := $(wildcard src/util/*.c src/config/*.c) src/net/plan.c src/net/check.c
FUZZ_BINS := tests/fuzz/fuzz_config tests/fuzz/fuzz_files
tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_LIB) $(wildcard src/*/*.h)
	$(call say,CLANG,$@)
	$(Q)clang -g -O1 -std=gnu11 -D_GNU_SOURCE -DTB_VERSION=\"$(VERSION)\" -Isrc $(shell pkg-config --cflags inih libpcap jansson) \
	  -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIB) $(shell pkg-config --libs inih libpcap jansson) -lm

# FUZZ_TIME seconds for each target: the parser on bytes, then whole files
fuzz: deps $(FUZZ_BINS)
	@mkdir -p build/fuzz-corpus
	./tests/fuzz/run-fuzz $(FUZZ_TIME)

clean-bin:
	rm -f $(BINS)

clean: clean-bin
	rm -rf build $(FUZZ_BINS)
