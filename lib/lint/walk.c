/* The parse tree walk, through protobuf-c's reflection: every node type
 * libpg_query knows, without a hand-written case per node. */
#include "walk.h"

static bool walk_field(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
                       bool (*visit)(const ProtobufCMessage *, void *), void *arg)
{
    const char *base = (const char *)m;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = *(const size_t *)(base + fd->quantifier_offset);
        ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + fd->offset);
        for (size_t k = 0; k < n; k++)
            if (lint_walk(arr[k], visit, arg))
                return true;
        return false;
    }
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t which = *(const uint32_t *)(base + fd->quantifier_offset);
        if (which != fd->id)
            return false;
    }
    return lint_walk(*(ProtobufCMessage *const *)(base + fd->offset), visit, arg);
}

bool lint_walk(const ProtobufCMessage *m, bool (*visit)(const ProtobufCMessage *m, void *arg), void *arg)
{
    if (!m)
        return false;
    if (visit(m, arg))
        return true;
    for (unsigned i = 0; i < m->descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &m->descriptor->fields[i];
        if (fd->type == PROTOBUF_C_TYPE_MESSAGE && walk_field(m, fd, visit, arg))
            return true;
    }
    return false;
}
