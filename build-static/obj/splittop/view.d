build-static/obj/splittop/view.o: src/splittop/view.c src/splittop/view.h \
 src/splittop/keys.h src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h \
 src/splittop/hist.h src/splittop/text.h
src/splittop/view.h:
src/splittop/keys.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/hist.h:
src/splittop/text.h:
