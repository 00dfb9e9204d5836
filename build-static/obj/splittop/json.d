build-static/obj/splittop/json.o: src/splittop/json.c src/splittop/hist.h \
 bpf/splittop.h src/splittop/json_writer.h src/splittop/render.h \
 src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h \
 src/splittop/recording_format.h src/splittop/self_stats.h
src/splittop/hist.h:
bpf/splittop.h:
src/splittop/json_writer.h:
src/splittop/render.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
src/splittop/recording_format.h:
src/splittop/self_stats.h:
