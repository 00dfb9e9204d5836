build-static/obj/splittop/replay_model.o: src/splittop/replay_model.c \
 src/splittop/replay_model.h src/splittop/json_reader.h \
 src/splittop/recording_vm.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h \
 src/splittop/snapshot.h src/splittop/recording_format.h \
 src/splittop/recording_time.h src/splittop/replay.h \
 src/splittop/self_stats.h src/splittop/text.h
src/splittop/replay_model.h:
src/splittop/json_reader.h:
src/splittop/recording_vm.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/snapshot.h:
src/splittop/recording_format.h:
src/splittop/recording_time.h:
src/splittop/replay.h:
src/splittop/self_stats.h:
src/splittop/text.h:
