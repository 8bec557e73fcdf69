/* A ROS-2-like DDS peer for robodojo's bridge tests, on the CycloneDDS C library ROS 2 ships (0.10.x).
 *
 * It knows no IDL and carries no type information, exactly like rmw_cyclonedds:
 * its topic uses a minimal "raw" sertype (serdata = the CDR bytes as they came
 * off the wire, encapsulation header included) with no type_id/type_map/
 * type_info operations, so discovery announces only a topic name and a type
 * name and readers/writers match on those names alone, as ROS 2 nodes do.
 *
 *   ros_peer sub TOPIC TYPE COUNT reliable|best_effort DEPTH TIMEOUT_S
 *       prints "ready", "matched" once a writer matches, then "sample HEX" for
 *       each of COUNT samples (the raw serialized payload), then "done".
 *   ros_peer pub TOPIC TYPE reliable|best_effort DEPTH TIMEOUT_S
 *       prints "ready", "matched" once a reader matches, then writes one sample
 *       per hex line read from stdin (the raw payload, header included) until EOF.
 *
 * The domain is ROS_DOMAIN_ID (default 0); the network config CYCLONEDDS_URI.
 * Exit status 0 on success, 2 on timeout, 1 on errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>

#include "dds/dds.h"
#include "dds/ddsi/ddsi_sertype.h"
#include "dds/ddsi/ddsi_serdata.h"
#include "dds/ddsi/q_radmin.h"

/* ---- the sample an application sees: just bytes ---- */
struct raw_sample { uint32_t size; unsigned char *data; };

/* ---- serdata: one received or written payload ---- */
struct raw_serdata { struct ddsi_serdata c; uint32_t size; unsigned char *data; };

static struct raw_serdata *raw_new (const struct ddsi_sertype *type, enum ddsi_serdata_kind kind, size_t size)
{
  struct raw_serdata *d = calloc (1, sizeof (*d));
  ddsi_serdata_init (&d->c, type, kind);
  d->c.hash = type->serdata_basehash; /* keyless: every sample is the one instance */
  d->size = (uint32_t) size;
  d->data = malloc (size ? size : 1);
  return d;
}

static bool sd_eqkey (const struct ddsi_serdata *a, const struct ddsi_serdata *b) { (void) a; (void) b; return true; }
static uint32_t sd_get_size (const struct ddsi_serdata *d) { return ((const struct raw_serdata *) d)->size; }

static struct ddsi_serdata *sd_from_ser (const struct ddsi_sertype *type, enum ddsi_serdata_kind kind,
                                         const struct nn_rdata *frag, size_t size)
{
  struct raw_serdata *d = raw_new (type, kind, size);
  uint32_t off = 0;
  for (; frag; frag = frag->nextfrag) /* reassemble the fragment chain */
  {
    if (frag->maxp1 > off)
    {
      const unsigned char *payload = NN_RMSG_PAYLOADOFF (frag->rmsg, NN_RDATA_PAYLOAD_OFF (frag));
      memcpy (d->data + off, payload + off - frag->min, frag->maxp1 - off);
      off = frag->maxp1;
    }
  }
  return &d->c;
}

static struct ddsi_serdata *sd_from_ser_iov (const struct ddsi_sertype *type, enum ddsi_serdata_kind kind,
                                             ddsrt_msg_iovlen_t niov, const ddsrt_iovec_t *iov, size_t size)
{
  struct raw_serdata *d = raw_new (type, kind, size);
  size_t off = 0;
  for (ddsrt_msg_iovlen_t i = 0; i < niov && off < size; i++)
  {
    size_t n = iov[i].iov_len < size - off ? iov[i].iov_len : size - off;
    memcpy (d->data + off, iov[i].iov_base, n);
    off += n;
  }
  return &d->c;
}

static struct ddsi_serdata *sd_from_keyhash (const struct ddsi_sertype *type, const struct ddsi_keyhash *kh)
{
  (void) kh;
  return &raw_new (type, SDK_KEY, 0)->c;
}

static struct ddsi_serdata *sd_from_sample (const struct ddsi_sertype *type, enum ddsi_serdata_kind kind, const void *sample)
{
  const struct raw_sample *s = sample;
  struct raw_serdata *d = raw_new (type, kind, kind == SDK_DATA ? s->size : 0);
  if (kind == SDK_DATA)
    memcpy (d->data, s->data, s->size);
  return &d->c;
}

static void sd_to_ser (const struct ddsi_serdata *dcmn, size_t off, size_t sz, void *buf)
{
  const struct raw_serdata *d = (const struct raw_serdata *) dcmn;
  memset (buf, 0, sz); /* the protocol pads to a multiple of 4 */
  if (off < d->size)
    memcpy (buf, d->data + off, (off + sz <= d->size) ? sz : d->size - off);
}

static struct ddsi_serdata *sd_to_ser_ref (const struct ddsi_serdata *dcmn, size_t off, size_t sz, ddsrt_iovec_t *ref)
{
  ref->iov_base = malloc (sz ? sz : 1);
  ref->iov_len = (ddsrt_iov_len_t) sz;
  sd_to_ser (dcmn, off, sz, ref->iov_base);
  return ddsi_serdata_ref (dcmn);
}

static void sd_to_ser_unref (struct ddsi_serdata *d, const ddsrt_iovec_t *ref)
{
  free (ref->iov_base);
  ddsi_serdata_unref (d);
}

static bool sd_to_sample (const struct ddsi_serdata *dcmn, void *sample, void **bufptr, void *buflim)
{
  const struct raw_serdata *d = (const struct raw_serdata *) dcmn;
  struct raw_sample *s = sample;
  (void) bufptr; (void) buflim;
  free (s->data);
  s->size = d->size;
  s->data = malloc (d->size ? d->size : 1);
  memcpy (s->data, d->data, d->size);
  return true;
}

static struct ddsi_serdata *sd_to_untyped (const struct ddsi_serdata *d) { return ddsi_serdata_ref (d); }

static bool sd_untyped_to_sample (const struct ddsi_sertype *type, const struct ddsi_serdata *d, void *sample, void **b, void *l)
{
  (void) type; (void) d; (void) b; (void) l;
  ((struct raw_sample *) sample)->size = 0;
  return true;
}

static void sd_free (struct ddsi_serdata *dcmn)
{
  struct raw_serdata *d = (struct raw_serdata *) dcmn;
  free (d->data);
  free (d);
}

static size_t sd_print (const struct ddsi_sertype *type, const struct ddsi_serdata *d, char *buf, size_t size)
{
  (void) type;
  return (size_t) snprintf (buf, size, "raw(%u bytes)", (unsigned) ((const struct raw_serdata *) d)->size);
}

static void sd_get_keyhash (const struct ddsi_serdata *d, struct ddsi_keyhash *buf, bool force_md5)
{
  (void) d; (void) force_md5;
  memset (buf, 0, sizeof (*buf));
}

static const struct ddsi_serdata_ops raw_serdata_ops = {
  .eqkey = sd_eqkey, .get_size = sd_get_size, .from_ser = sd_from_ser, .from_ser_iov = sd_from_ser_iov,
  .from_keyhash = sd_from_keyhash, .from_sample = sd_from_sample, .to_ser = sd_to_ser,
  .to_ser_ref = sd_to_ser_ref, .to_ser_unref = sd_to_ser_unref, .to_sample = sd_to_sample,
  .to_untyped = sd_to_untyped, .untyped_to_sample = sd_untyped_to_sample, .free = sd_free,
  .print = sd_print, .get_keyhash = sd_get_keyhash,
};

/* ---- sertype: a type known by name only ---- */
static void st_free (struct ddsi_sertype *tp) { ddsi_sertype_fini (tp); free (tp); }
static void st_zero_samples (const struct ddsi_sertype *d, void *samples, size_t count)
{
  (void) d;
  memset (samples, 0, count * sizeof (struct raw_sample));
}
static void st_realloc_samples (void **ptrs, const struct ddsi_sertype *d, void *old, size_t oldcount, size_t count)
{
  (void) d;
  struct raw_sample *s = realloc (old, count * sizeof (*s));
  if (count > oldcount)
    memset (s + oldcount, 0, (count - oldcount) * sizeof (*s));
  for (size_t i = 0; i < count; i++)
    ptrs[i] = &s[i];
}
static void st_free_samples (const struct ddsi_sertype *d, void **ptrs, size_t count, dds_free_op_t op)
{
  (void) d;
  struct raw_sample *s = ptrs[0];
  for (size_t i = 0; i < count; i++)
  {
    free (s[i].data);
    s[i].data = NULL;
  }
  if (op & DDS_FREE_ALL_BIT)
    free (s);
}
static bool st_equal (const struct ddsi_sertype *a, const struct ddsi_sertype *b) { (void) a; (void) b; return true; }
static uint32_t st_hash (const struct ddsi_sertype *tp) { (void) tp; return 0; }
static size_t st_get_serialized_size (const struct ddsi_sertype *d, const void *sample)
{
  (void) d;
  return ((const struct raw_sample *) sample)->size;
}
static bool st_serialize_into (const struct ddsi_sertype *d, const void *sample, void *dst, size_t dst_size)
{
  (void) d;
  const struct raw_sample *s = sample;
  if (dst_size < s->size)
    return false;
  memcpy (dst, s->data, s->size);
  return true;
}

static const struct ddsi_sertype_ops raw_sertype_ops = {
  .version = ddsi_sertype_v0, .arg = NULL, .free = st_free, .zero_samples = st_zero_samples,
  .realloc_samples = st_realloc_samples, .free_samples = st_free_samples, .equal = st_equal, .hash = st_hash,
  /* no type_id, type_map, type_info: no XTypes information, matching by type name only (as rmw_cyclonedds) */
  .type_id = NULL, .type_map = NULL, .type_info = NULL, .derive_sertype = NULL,
  .get_serialized_size = st_get_serialized_size, .serialize_into = st_serialize_into,
};

/* ---- the program ---- */
static void die (const char *what, dds_return_t rc)
{
  fprintf (stderr, "ros_peer: %s: %s\n", what, dds_strretcode (rc));
  exit (1);
}

static int hexval (int c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

int main (int argc, char **argv)
{
  bool sub = argc == 8 && strcmp (argv[1], "sub") == 0;
  bool pub = argc == 7 && strcmp (argv[1], "pub") == 0;
  if (!sub && !pub)
  {
    fprintf (stderr, "usage: ros_peer sub TOPIC TYPE COUNT reliable|best_effort DEPTH TIMEOUT_S\n"
                     "       ros_peer pub TOPIC TYPE reliable|best_effort DEPTH TIMEOUT_S\n");
    return 1;
  }
  const char *topic_name = argv[2], *type_name = argv[3];
  int count = sub ? atoi (argv[4]) : 0;
  const char *reliability = argv[sub ? 5 : 4];
  int depth = atoi (argv[sub ? 6 : 5]);
  dds_time_t deadline = dds_time () + DDS_SECS (atoi (argv[sub ? 7 : 6]));
  const char *domain_env = getenv ("ROS_DOMAIN_ID");
  dds_domainid_t domain = domain_env && *domain_env ? (dds_domainid_t) atoi (domain_env) : 0;

  dds_entity_t participant = dds_create_participant (domain, NULL, NULL);
  if (participant < 0) die ("create participant", participant);

  struct ddsi_sertype *sertype = calloc (1, sizeof (*sertype));
  ddsi_sertype_init (sertype, type_name, &raw_sertype_ops, &raw_serdata_ops, true);
  dds_entity_t topic = dds_create_topic_sertype (participant, topic_name, &sertype, NULL, NULL, NULL);
  if (topic < 0) die ("create topic", topic);

  /* QoS as rmw_cyclonedds sets it: reliability, volatile, keep-last depth, XCDR1 only */
  dds_qos_t *qos = dds_create_qos ();
  if (strcmp (reliability, "reliable") == 0)
    dds_qset_reliability (qos, DDS_RELIABILITY_RELIABLE, DDS_INFINITY);
  else
    dds_qset_reliability (qos, DDS_RELIABILITY_BEST_EFFORT, 0);
  dds_qset_durability (qos, DDS_DURABILITY_VOLATILE);
  dds_qset_history (qos, DDS_HISTORY_KEEP_LAST, depth);
  dds_data_representation_id_t xcdr1 = DDS_DATA_REPRESENTATION_XCDR1;
  dds_qset_data_representation (qos, 1, &xcdr1);

  dds_entity_t endpoint = sub ? dds_create_reader (participant, topic, qos, NULL)
                              : dds_create_writer (participant, topic, qos, NULL);
  if (endpoint < 0) die (sub ? "create reader" : "create writer", endpoint);
  dds_delete_qos (qos);
  printf ("ready\n");
  fflush (stdout);

  /* wait for a match (as a ROS node would, through the graph) */
  for (;;)
  {
    uint32_t matched;
    if (sub)
    {
      dds_subscription_matched_status_t st;
      dds_get_subscription_matched_status (endpoint, &st);
      matched = st.current_count;
    }
    else
    {
      dds_publication_matched_status_t st;
      dds_get_publication_matched_status (endpoint, &st);
      matched = st.current_count;
    }
    if (matched > 0)
      break;
    if (dds_time () > deadline) { printf ("timeout\n"); fflush (stdout); dds_delete (participant); return 2; }
    dds_sleepfor (DDS_MSECS (10));
  }
  printf ("matched\n");
  fflush (stdout);

  int status = 0;
  if (sub)
  {
    dds_entity_t waitset = dds_create_waitset (participant);
    dds_entity_t readcond = dds_create_readcondition (endpoint, DDS_ANY_STATE);
    dds_waitset_attach (waitset, readcond, 0);
    int received = 0;
    while (received < count)
    {
      if (dds_waitset_wait_until (waitset, NULL, 0, deadline) == 0) { printf ("timeout\n"); status = 2; break; }
      struct raw_sample sample = { 0, NULL };
      void *samples[1] = { &sample };
      dds_sample_info_t info;
      while (received < count && dds_take (endpoint, samples, &info, 1, 1) == 1)
      {
        if (!info.valid_data)
          continue;
        printf ("sample ");
        for (uint32_t i = 0; i < sample.size; i++)
          printf ("%02x", sample.data[i]);
        printf ("\n");
        fflush (stdout);
        received++;
      }
      free (sample.data);
    }
  }
  else
  {
    char line[65536];
    while (fgets (line, sizeof (line), stdin))
    {
      size_t n = strcspn (line, "\r\n") / 2;
      struct raw_sample sample = { (uint32_t) n, malloc (n ? n : 1) };
      for (size_t i = 0; i < n; i++)
        sample.data[i] = (unsigned char) (hexval (line[2 * i]) << 4 | hexval (line[2 * i + 1]));
      dds_return_t rc = dds_write (endpoint, &sample);
      free (sample.data);
      if (rc < 0) die ("write", rc);
    }
  }
  if (status == 0)
    printf ("done\n");
  fflush (stdout);
  dds_return_t rc = dds_delete (participant);
  if (rc < 0) die ("delete participant", rc);
  return status;
}
