build-static/obj/splittop/replay.o: src/splittop/replay.c \
 src/splittop/replay.h src/splittop/recording_format.h bpf/splittop.h \
 src/splittop/csv.h src/splittop/render.h src/splittop/snapshot.h \
 src/splittop/metrics.h src/splittop/metric_table.h \
 src/splittop/vm_table.h src/splittop/json_reader.h \
 src/splittop/json_writer.h src/splittop/recording_vm.h \
 src/splittop/recording_time.h
src/splittop/replay.h:
src/splittop/recording_format.h:
bpf/splittop.h:
src/splittop/csv.h:
src/splittop/render.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
src/splittop/json_reader.h:
src/splittop/json_writer.h:
src/splittop/recording_vm.h:
src/splittop/recording_time.h:
