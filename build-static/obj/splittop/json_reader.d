build-static/obj/splittop/json_reader.o: src/splittop/json_reader.c \
 src/splittop/json_reader.h
src/splittop/json_reader.h:
