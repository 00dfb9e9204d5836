build-static/obj/splittop/replay_tui.o: src/splittop/replay_tui.c \
 src/splittop/replay_tui.h src/splittop/replay.h src/splittop/snapshot.h \
 src/splittop/metrics.h src/splittop/metric_table.h \
 src/splittop/vm_table.h bpf/splittop.h src/common/clock.h \
 src/common/parse.h src/splittop/recording_time.h \
 src/splittop/json_reader.h src/splittop/replay_model.h \
 src/splittop/recording_vm.h src/splittop/tui.h src/splittop/view.h \
 src/splittop/keys.h
src/splittop/replay_tui.h:
src/splittop/replay.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/common/clock.h:
src/common/parse.h:
src/splittop/recording_time.h:
src/splittop/json_reader.h:
src/splittop/replay_model.h:
src/splittop/recording_vm.h:
src/splittop/tui.h:
src/splittop/view.h:
src/splittop/keys.h:
