// Loads Hadoop *-site.xml files with Hadoop's own org.apache.hadoop.conf.Configuration and
// prints the values it reads back, one `name=value` line per asked name (`name=<unset>` when
// absent). Usage: java -cp 'pyspark/jars/*' ConfCheck.java FILE... -- NAME...
// A file Hadoop cannot parse makes it exit non-zero with Hadoop's error.

import java.io.File;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

public class ConfCheck {
    public static void main(String[] args) {
        List<String> files = new ArrayList<>();
        List<String> names = new ArrayList<>();
        boolean seenSeparator = false;
        for (String a : args) {
            if (a.equals("--")) {
                seenSeparator = true;
            } else if (seenSeparator) {
                names.add(a);
            } else {
                files.add(a);
            }
        }
        // No defaults: only what the files say.
        Configuration conf = new Configuration(false);
        for (String f : files) {
            if (!new File(f).isFile()) {
                System.err.println("no such file: " + f);
                System.exit(2);
            }
            conf.addResource(new Path(new File(f).getAbsolutePath()));
        }
        // Parses every resource now; a malformed file throws here.
        System.out.println("properties=" + conf.size());
        for (String n : names) {
            String v = conf.get(n);
            System.out.println(n + "=" + (v == null ? "<unset>" : v));
        }
    }
}
