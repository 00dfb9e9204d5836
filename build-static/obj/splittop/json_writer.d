build-static/obj/splittop/json_writer.o: src/splittop/json_writer.c \
 src/splittop/json_writer.h src/splittop/text.h
src/splittop/json_writer.h:
src/splittop/text.h:
