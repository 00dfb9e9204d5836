build-static/obj/splittop/csv.o: src/splittop/csv.c src/splittop/csv.h \
 src/splittop/render.h src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h
src/splittop/csv.h:
src/splittop/render.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
