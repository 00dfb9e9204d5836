build-static/obj/splittop/options.o: src/splittop/options.c \
 src/splittop/options.h src/splittop/listen_addr.h src/splittop/replay.h \
 src/splittop/tracer.h src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h \
 src/splittop/text.h src/common/parse.h
src/splittop/options.h:
src/splittop/listen_addr.h:
src/splittop/replay.h:
src/splittop/tracer.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/text.h:
src/common/parse.h:
