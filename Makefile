# synack build. `make` builds the library and the synack command into build/;
# `make test` builds and runs every test and ends with "N passed, N failed".
# `make test SAN=1` (or `make asan`) does the same under ASan+UBSan.
CC      ?= cc
SAN     ?= 0
BUILD   ?= build
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
           -fPIC -Iinclude -Isrc
ifeq ($(SAN),1)
BUILD   := build/san
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
LDLIBS  += -lpthread -ldl
# AF_XDP (src/link/link_xdp.c) needs libxdp and libbpf (Debian: libxdp-dev libbpf-dev); without
# them the link is left out and synack_netdev_open_xdp() fails with ENOTSUP. HAVE_XDP=0 forces it.
HAVE_XDP ?= $(shell pkg-config --exists libxdp libbpf 2>/dev/null && echo 1 || echo 0)
ifeq ($(HAVE_XDP),1)
CFLAGS  += -DSYNACK_HAVE_XDP=1
LDLIBS  += $(shell pkg-config --libs libxdp libbpf)
endif

CORE_SRC := $(wildcard src/core/*.c)
LIB_SRC  := $(CORE_SRC) $(wildcard src/api/*.c src/link/*.c src/platform/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC := $(wildcard tools/*.c)
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/harness/*.c tests/unit/*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
PD_SRC   := $(wildcard src/packetdrill/*.c)
PD_OBJ   := $(PD_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all test asan clean bench check-core fuzz fuzz-smoke
PD_SO    := $(if $(PD_SRC),$(BUILD)/libsynack-packetdrill.so)
all: $(BUILD)/libsynack.a $(BUILD)/libsynack.so $(BUILD)/synack $(BUILD)/test-unit $(BENCH_BIN) $(PD_SO)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libsynack.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libsynack.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The packetdrill shared-object adapter (issue 5): the stack and the adapter in one .so.
$(BUILD)/libsynack-packetdrill.so: $(PD_OBJ) $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/synack: $(TOOL_OBJ) $(BUILD)/libsynack.a
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(BUILD)/libsynack.a $(LDLIBS)

$(BUILD)/test-unit: $(TEST_OBJ) $(BUILD)/libsynack.a
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(BUILD)/libsynack.a $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libsynack.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libsynack.a $(LDLIBS)

# The core must not reach the OS: no system headers beyond freestanding ones.
check-core:
	@! grep -nE '#include <(sys/|unistd|time\.h|stdio|fcntl|pthread|errno)' src/core/*.c src/core/*.h \
	  || (echo "src/core includes an OS header" && false)

test: all check-core
	@BUILD=$(BUILD) sh tests/run.sh

asan:
	$(MAKE) test SAN=1

bench: $(BENCH_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done

# libFuzzer targets (clang): parsers, the whole input path with time steps, the Ethernet/ARP
# layer and the packetdrill adapter (fuzz_pd, with src/packetdrill). Seed corpora recorded from
# the unit tests are committed in fuzz/corpus/<target>; they are copied into
# build/fuzz/corpus-<target> (the working corpus, which grows and is kept between runs).
#   make fuzz-smoke [FUZZ_SECONDS=20]   every target briefly (CI)
#   make fuzz-long [FUZZ_HOURS=1] [FUZZ_JOBS=2] [FUZZ_TARGETS="fuzz_pd ..."] [FUZZ_CORPUS_DIR=dir]
#                                       each target for FUZZ_HOURS (one after the other), resumable;
#                                       prints execs per target and the total
#   make fuzz-seeds                     re-records fuzz/corpus from the unit tests (fuzz/record.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
FUZZ_NAMES := $(FUZZ_SRC:fuzz/%.c=%)
FUZZ_SECONDS ?= 20
FUZZ_HOURS ?= 1
FUZZ_JOBS ?= 2
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_CORPUS_DIR ?= build/fuzz
FUZZ_NICE ?= nice -n 19
FUZZ_EXTRA_fuzz_pd := $(PD_SRC) -lpthread
.PHONY: fuzz-long fuzz-seeds
fuzz: $(FUZZ_BIN)
build/fuzz/%: fuzz/%.c $(CORE_SRC) $(wildcard src/api/*.c) $(PD_SRC) $(wildcard src/core/*.h src/packetdrill/*.h include/synack/*.h)
	@mkdir -p $(dir $@)
	clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Isrc \
	    $< $(CORE_SRC) $(wildcard src/api/*.c) $(FUZZ_EXTRA_$*) -o $@
# Seeds the working corpus of a target from fuzz/corpus/<target> (never writes there).
define fuzz_seed
mkdir -p $(FUZZ_CORPUS_DIR)/corpus-$(1); \
if [ -d fuzz/corpus/$(1) ]; then cp -n fuzz/corpus/$(1)/* $(FUZZ_CORPUS_DIR)/corpus-$(1)/ 2>/dev/null || true; fi
endef
fuzz-smoke: $(FUZZ_BIN)
	@for n in $(FUZZ_NAMES); do f=build/fuzz/$$n; $(call fuzz_seed,$$n); \
	  if $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(FUZZ_CORPUS_DIR)/corpus-$$n \
	      >build/fuzz/$$n.log 2>&1; then \
	    echo "PASS fuzz $$n: $$(grep -o 'number_of_executed_units: *[0-9]*' build/fuzz/$$n.log) in $(FUZZ_SECONDS) s"; \
	  else echo "FAIL fuzz $$n (build/fuzz/$$n.log):"; tail -n 30 build/fuzz/$$n.log; exit 1; fi; done
# FUZZ_JOBS jobs per target (-jobs/-workers, sharing the corpus; each job's final stats are in
# build/fuzz/long-<target>/fuzz-<job>.log); findings go to build/fuzz/findings-<target>/.
fuzz-long: $(FUZZ_BIN)
	@total=0; secs=$$(awk 'BEGIN { printf "%d", $(FUZZ_HOURS) * 3600 }'); top=$$(pwd); \
	case "$(FUZZ_CORPUS_DIR)" in /*) cdir="$(FUZZ_CORPUS_DIR)";; *) cdir="$$top/$(FUZZ_CORPUS_DIR)";; esac; \
	for n in $(FUZZ_TARGETS); do $(call fuzz_seed,$$n); \
	  d=build/fuzz/long-$$n; rm -rf $$d; mkdir -p $$d build/fuzz/findings-$$n; \
	  echo "== $$n: $$secs s, $(FUZZ_JOBS) jobs, corpus $$cdir/corpus-$$n, logs $$d/"; \
	  (cd $$d && $(FUZZ_NICE) $$top/build/fuzz/$$n -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) \
	      -max_total_time=$$secs -print_final_stats=1 -artifact_prefix=$$top/build/fuzz/findings-$$n/ \
	      $$cdir/corpus-$$n >driver.log 2>&1); \
	  e=$$(cat $$d/fuzz-*.log | grep -o 'number_of_executed_units: *[0-9]*' | awk '{ s += $$2 } END { print s + 0 }'); \
	  c=$$(ls build/fuzz/findings-$$n | wc -l); total=$$((total + e)); \
	  echo "$$n: $$e execs, $$(ls $$cdir/corpus-$$n | wc -l) corpus files, $$c findings"; \
	  [ $$c -eq 0 ] || ls -l build/fuzz/findings-$$n; \
	done; echo "total: $$total execs"

# The seed recorder: the unit tests, linked with fuzz/record.c, which wraps the stack's and the
# Ethernet layer's entry points and the adapter's interface (see fuzz/record.c).
FUZZ_WRAP := synack_stack_new synack_stack_free synack_input synack_eth_new synack_eth_add_if \
             synack_eth_input synack_eth_free dlsym
build/fuzz/test-record: fuzz/record.c $(TEST_OBJ) $(BUILD)/libsynack.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ fuzz/record.c $(TEST_OBJ) $(BUILD)/libsynack.a $(LDLIBS) \
	    $(foreach w,$(FUZZ_WRAP),-Wl,--wrap=$(w))
fuzz-seeds: build/fuzz/test-record $(FUZZ_BIN) $(PD_SO)
	@rm -rf build/fuzz/recorded; mkdir -p build/fuzz/recorded; \
	FUZZ_RECORD_DIR=build/fuzz/recorded SYNACK_PD_SO=$(BUILD)/libsynack-packetdrill.so \
	    build/fuzz/test-record >build/fuzz/test-record.log 2>&1 || { tail build/fuzz/test-record.log; exit 1; }; \
	for n in $(FUZZ_NAMES); do d=build/fuzz/seeds-$$n; rm -rf $$d; mkdir -p $$d build/fuzz/recorded/$$n; \
	  build/fuzz/$$n -merge=1 $$d build/fuzz/recorded/$$n >build/fuzz/merge-$$n.log 2>&1 || \
	    { tail build/fuzz/merge-$$n.log; exit 1; }; \
	  rm -rf fuzz/corpus/$$n; mkdir -p fuzz/corpus; cp -r $$d fuzz/corpus/$$n; \
	  echo "fuzz/corpus/$$n: $$(ls $$d | wc -l) files ($$(cat $$d/* | wc -c) bytes) from $$(ls build/fuzz/recorded/$$n | wc -l) recorded"; \
	done

# make mutants: the unit tests must fail when any one mechanism of src/core/mutants.h is off.
# Builds build/mutants/test-unit once with -DSYNACK_MUTANTS, checks it passes as is, then runs it
# once per mechanism (SYNACK_MUTANT=name, MUTANT_JOBS at a time, MUTANT_TIMEOUT s each; a run
# that times out counts as killed) and prints KILLED or SURVIVED for each, in list order, and a
# summary; exit status 1 if any survived. MUTANTS="a b" runs only those. The packetdrill cases
# load the normal build's adapter (it is not mutated). Logs: build/mutants/runs/<name>.log.
MUTANT_BUILD   := build/mutants
MUTANT_JOBS    ?= 2
MUTANT_TIMEOUT ?= 300
MUTANTS        ?=
.PHONY: mutants
mutants: $(PD_SO)
	@CFLAGS="-O2 -g -DSYNACK_MUTANTS" $(MAKE) -s BUILD=$(MUTANT_BUILD) $(MUTANT_BUILD)/test-unit
	@set -e; bin=$(MUTANT_BUILD)/test-unit; runs=$(MUTANT_BUILD)/runs; rm -rf $$runs; mkdir -p $$runs; \
	export SYNACK_PD_SO=$$(pwd)/$(BUILD)/libsynack-packetdrill.so; t0=$$(date +%s); \
	$$bin >$$runs/baseline.log 2>&1 || { echo "mutants: the unmutated build fails:"; tail -n 20 $$runs/baseline.log; exit 1; }; \
	names="$(MUTANTS)"; [ -n "$$names" ] || names=$$($$bin --mutants | cut -f1); \
	for n in $$names; do $$bin --mutants | cut -f1 | grep -qx "$$n" || { echo "mutants: no mechanism $$n"; exit 1; }; done; \
	printf '%s\n' $$names | xargs -P $(MUTANT_JOBS) -I{} sh -c \
	  'SYNACK_MUTANT={} timeout $(MUTANT_TIMEOUT) '"$$bin"' >'"$$runs"'/{}.log 2>&1; echo $$? >'"$$runs"'/{}.rc'; \
	k=0; s=0; survived=""; \
	for n in $$names; do rc=$$(cat $$runs/$$n.rc); \
	  if [ "$$rc" = 0 ]; then s=$$((s + 1)); survived="$$survived $$n"; echo "SURVIVED $$n"; continue; fi; \
	  k=$$((k + 1)); failed=$$(grep -o '^unit: [0-9]* passed, [0-9]* failed' $$runs/$$n.log | awk '{ print $$4 }'); \
	  first=$$(grep '^FAIL ' $$runs/$$n.log | awk '{ print $$2 }' | uniq | head -n 3 | paste -sd ' ' -); \
	  if [ "$$rc" = 124 ]; then echo "KILLED $$n (timed out after $(MUTANT_TIMEOUT) s; failed before: $${first:-none})"; \
	  elif [ -n "$$failed" ]; then echo "KILLED $$n ($$failed tests failed: $$first ...)"; \
	  else echo "KILLED $$n (exit status $$rc, no summary: crashed; failed before: $${first:-none})"; fi; \
	done; \
	echo "mutants: $$k killed, $$s survived of $$((k + s)) in $$(( $$(date +%s) - t0 )) s$${survived:+; survived:$$survived}"; \
	[ $$s -eq 0 ]

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(PD_OBJ:.o=.d)
